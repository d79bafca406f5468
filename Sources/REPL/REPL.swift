// REPL: see DESIGN.md §2.
