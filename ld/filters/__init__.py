"""List filters: one declarative catalog entry per query parameter (``catalog``), the value
parsers they share (``parse``) and the query builder that joins them (``build``)."""
