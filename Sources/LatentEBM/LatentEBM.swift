// LatentEBM: see DESIGN.md §2.
