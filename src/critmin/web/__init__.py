"""The dashboard served by critmin serve (static pages, Plotly served locally)."""
