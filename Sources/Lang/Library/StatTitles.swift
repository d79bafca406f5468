// The panel titles `plot_stats` gives the training statistics: words and math for the history's
// code names (`z_neg` → "$\|z^-\|$ prior chains' norm"); the symbols are those of docs/method.md.

/// A readable title for the statistic named `name` in a training history; a name it does not
/// know (a record a script made) is its own title.
func statTitle(_ name: String) -> String {
  statTitles[name] ?? name
}

/// The titles by history name (``TrainStats/names``).
let statTitles: [String: String] = [
  "loss_g": "$L_G$ generator loss",
  "loss_e": "$L_E$ energy loss (with penalty)",
  "en_pos": "$E_\\alpha(z^+)$ posterior energy",
  "en_neg": "$E_\\alpha(z^-)$ prior chains' energy",
  "grad_g": "$\\|\\nabla_\\beta L_G\\|$ generator gradient",
  "grad_e": "$\\|\\nabla_\\alpha L_E\\|$ energy gradient",
  "z_pos": "$\\|z^+\\|$ posterior chains' norm",
  "z_neg": "$\\|z^-\\|$ prior chains' norm",
  "disp_pos": "$\\|z^+_K - z^+_0\\|$ posterior chains' move",
  "disp_neg": "$\\|z^-_K - z^-_0\\|$ prior chains' move",
  "mse": "MSE per coordinate",
  "loss_q": "$L_\\phi$ encoder loss (−ELBO + log Z)",
]
