"""Use cases: each function's one job, over the domain and the repositories it is given."""
