"""Every reporter: problems, plans and apply results, in text, json, markdown and github."""
