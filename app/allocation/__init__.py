"""Initial allocation (初始排污权核定, R10–R14): the hooks the `allocation` diagram runs with."""
