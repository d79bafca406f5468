// Plot: see DESIGN.md §2.
