// `diagnose(m, data)`: the training doctor's checks (LatentEBM's Diagnosis+Checks.swift) as a value
// that prints as a table and gives each check as a record.
import Engine
import LatentEBM
import Plot

extension ModelRows {
  static let diagnosis: [Builtin] = [
    Builtin("diagnose", params: [Param("model", .handles([ModelHandle.self, VAEHandle.self])), Param("data", .tensor),
                                 Param("path", .optional(.string), default: .none), Param("held_out", .optional(.tensor), default: .none),
                                 Param("title", .string, default: .string("diagnosis")), Param("dpi", .number, default: .number(100)),
                                 Param("size", .optional(.any), default: .none), Param("font_size", .number, default: .number(9))],
            doc: """
              Checks a model for what goes wrong in short-run training (docs/method.md, "Diagnosis"), on data
              (rows it was trained on) and held_out (rows it was not, for the fit check). Each check has a value, the
              values at which it warns and fails, a verdict (ok, warn, fail, n/a), a sentence on what it means and
              the call that applies the remedy:
                short_run_gap  MMD² of K⁻-step against 10·K⁻-step prior samples, over its noise floor
                posterior      −log p(x | z) at K⁺ against 4·K⁺ posterior steps: the excess in nats per pixel (per token)
                energy_gap     the energies' drift from 0 and the swing of en_pos − en_neg (from m.history)
                prior_mixing   split-R̂ of the energy across long prior chains
                step_health    a prior step's drift against its noise; the spread of ‖∇z E‖
                weights        the largest |weight| over max_weight
                fit            held-out over training reconstruction error (sentences: cross-entropy per token), minus 1
              Returns a value that prints as a table; d.short_run_gap, … are records {value, warn_at, fail_at,
              verdict, meaning, remedy, details}; d.verdict is the worst verdict, d.failing the names not ok.
              A VAE has no chains; its checks are active_units (the share of code coordinates whose mean μ_φ(x) does not
              vary with x, warn ≥ 0.5: posterior collapse) and fit.
              With a path (.png, .svg or .pdf) it also draws the page: a panel per check, its value over the warn
              threshold on a log axis against the ok, warn and fail bands.
              """, impl: diagnose),
  ]

  static func diagnose(_ a: Args) throws -> Value {
    let heldOut = a.isNone("held_out") ? nil : try a.tensor("held_out")
    let checks: [DiagnosisCheck]
    if let v = vaeModel(a) {
      checks = try v.model.diagnose(data: try a.tensor("data"), heldOut: heldOut)
    } else {
      let m = try a.model("model")
      checks = try m.model.diagnose(trainer: m.trainer, data: try a.tensor("data"), heldOut: heldOut, using: &a.interpreter.rng)
    }
    if !a.isNone("path") {
      let rows = checks.map { DiagnosisRow(name: $0.name, verdict: $0.verdict.rawValue, value: $0.value, warnAt: $0.warnAt, failAt: $0.failAt) }
      _ = try a.save(try Figure.diagnosisPage(rows, title: try a.string("title")))
    }
    return .opaque(DiagnosisHandle(checks))
  }
}

/// The checks of one `diagnose` call.
final class DiagnosisHandle: OpaqueValue {
  let checks: [DiagnosisCheck]
  init(_ checks: [DiagnosisCheck]) { self.checks = checks }

  var typeName: String { "diagnosis" }
  var worst: Verdict { checks.map(\.verdict).max() ?? .ok }
  var summary: String {
    let counts = [Verdict.fail, .warn, .ok, .notApplicable].compactMap { v -> String? in
      let n = checks.filter { $0.verdict == v }.count
      return n == 0 ? nil : "\(n) \(v.rawValue)"
    }
    return "<diagnosis: \(counts.joined(separator: ", "))>"
  }
  /// A line per check: verdict, name, value against its thresholds, meaning, remedy.
  var display: String {
    var lines = ["diagnosis (\(summary.dropFirst(12).dropLast()))"]
    for c in checks {
      let verdict = padded(c.verdict.rawValue, 4)
      let name = padded(c.name, 13)
      let value = c.verdict == .notApplicable ? "" : "\(shortValue(c.value)) (warn ≥ \(shortValue(c.warnAt)), fail ≥ \(shortValue(c.failAt)))  "
      lines.append("  \(verdict) \(name) \(value)\(c.meaning)")
      if let r = c.remedy { lines.append("       \(String(repeating: " ", count: 13)) remedy: \(r)") }
    }
    return lines.joined(separator: "\n")
  }

  func field(_ name: String) -> Value? {
    switch name {
    case "verdict": return .string(worst.rawValue)
    case "failing": return .list(checks.filter { $0.verdict == .warn || $0.verdict == .fail }.map { .string($0.name) })
    case "names": return .list(checks.map { .string($0.name) })
    default:
      guard let c = checks.first(where: { $0.name == name }) else { return nil }
      return .record(Record([
        ("value", .number(c.value)), ("warn_at", .number(c.warnAt)), ("fail_at", .number(c.failAt)),
        ("verdict", .string(c.verdict.rawValue)), ("title", .string(c.title)), ("meaning", .string(c.meaning)),
        ("remedy", c.remedy.map { .string($0) } ?? Value.none),
        ("details", .record(Record(c.details.map { ($0.0, .number($0.1)) }))),
      ]))
    }
  }
  var fieldNames: [String] { ["verdict", "failing", "names"] + checks.map(\.name) }
}

private func shortValue(_ x: Double) -> String { formatScalar(Float(x)) }
private func padded(_ s: String, _ width: Int) -> String { s + String(repeating: " ", count: Swift.max(0, width - s.count)) }
