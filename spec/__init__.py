"""The executable specification: the clause catalogue and one test module per documentation section."""
