"""Reports: one module per report, a pure function (filters -> rows and figures) and its renderers."""
