// Lang: see DESIGN.md §2.
