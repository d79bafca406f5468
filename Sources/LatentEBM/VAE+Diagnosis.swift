// `diagnose` for the VAE baseline: the checks that apply to a model with an encoder and no chains.
import Engine

extension VAE {
  /// The VAE's checks on `data` (rows it was trained on) and `heldOut` (rows it was not):
  ///
  /// - `active_units`: the share of code coordinates the encoder leaves unused, those whose mean
  ///   μ_φ(x)_d varies across the data by a variance of at most 0.01 (Burda et al. 2016's active
  ///   units). Unused coordinates are posterior collapse: the KL term has pushed q_φ to the prior
  ///   there, and they carry nothing about x.
  /// - `fit`: the reconstruction error of g(μ_φ(x)) on held-out rows over that on training rows,
  ///   minus 1, as the latent EBM's fit check.
  ///
  /// The latent EBM's other checks read prior or posterior chains, which a VAE does not have.
  public func diagnose(data: Tensor, heldOut: Tensor? = nil, rows: Int = 1000) throws -> [DiagnosisCheck] {
    try checkInput(data, "the data")
    if let h = heldOut { try checkInput(h, "the held-out data") }
    let x = try data.slice(axis: 0, start: 0, end: Swift.min(data.shape[0], rows))
    return [try activeUnits(x), try fitCheck(x, heldOut.map { try $0.slice(axis: 0, start: 0, end: Swift.min($0.shape[0], rows)) })]
  }

  func checkInput(_ x: Tensor, _ what: String) throws {
    guard x.rank >= 2, x.shape[0] > 0, x.count / x.shape[0] == dimensions else {
      throw LatentEBMError.shape("\(what) must be a non-empty batch of \(dimensions) values a row (N first), got \(formatShape(x.shape))")
    }
  }

  func activeUnits(_ x: Tensor) throws -> DiagnosisCheck {
    let mu = try withoutGradients { try encoder(x).mean }
    let variances = try mu.variance(axes: [0]).scalars
    let active = variances.filter { $0 > 0.01 }.count, unused = Double(latent - active) / Double(latent)
    return DiagnosisCheck(
      "active_units", "active units: the share of code coordinates whose mean μ_φ(x) does not vary with x", value: unused,
      warnAt: 0.5, failAt: 0.9,
      meaning: { v in
        v == .ok ? "\(active) of \(latent) code coordinates carry information about x (Var_x μ_φ(x)_d > 0.01)"
          : "only \(active) of \(latent) code coordinates carry information about x: the KL term has pushed q_φ to the prior in the others (posterior collapse)"
      },
      remedy: "vae(q, G, sigma: \(shortNumber(Double(sigma) / 2))): a smaller σ weighs the reconstruction more against the KL",
      details: [("active", Double(active)), ("latent", Double(latent))])
  }

  func fitCheck(_ x: Tensor, _ heldOut: Tensor?) throws -> DiagnosisCheck {
    let title = "fit: reconstruction error of g(μ_φ(x)) on held-out against training data"
    guard let heldOut else { return .notApplicable("fit", title, "give held-out data (diagnose(v, data, held_out: test)) to compare") }
    func error(_ x: Tensor) throws -> Double { Double(try (x - reconstruct(x)).square().mean().item()) }
    return .fit(title, what: "error", train: try error(x), test: try error(heldOut), model: "the VAE", call: "v",
                details: ("mse_train", "mse_held_out"))
  }
}
