"""Workflows: what a command or route runs, between the interfaces (cli/, api/, web/) and
the core (report/, optimize/, calibrate/, simulate/, market/): the decision brief's
pipeline and the records of stored runs."""
