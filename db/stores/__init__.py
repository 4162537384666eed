"""The SQL of the business modules, one store per database or aggregate: each method one
decision's statement, typed parameters in, typed rows out. The rules stay in ``emarket``."""
