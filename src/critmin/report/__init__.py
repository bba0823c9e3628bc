"""Tables, Plotly figures and HTML reports."""
