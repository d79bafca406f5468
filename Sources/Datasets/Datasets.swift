// Datasets: see DESIGN.md §2.
