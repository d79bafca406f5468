// PNG: see DESIGN.md §2.
