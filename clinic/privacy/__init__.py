"""Privacy: a client's record exported (right of access) and erased
(anonymised) after the retention period."""
