// A training doctor: measurements of what can go wrong in short-run training (docs/method.md,
// "Diagnosis"), each with a verdict and the call that remedies it.
import Engine
import Glibc

/// How a check came out.
public enum Verdict: String, Sendable, Comparable {
  case ok, warn, fail
  /// The check does not apply to this model (the Gaussian prior has no prior chains) or lacks
  /// what it needs (no history yet, no held-out data).
  case notApplicable = "n/a"

  var rank: Int { switch self { case .notApplicable: 0; case .ok: 1; case .warn: 2; case .fail: 3 } }
  public static func < (a: Verdict, b: Verdict) -> Bool { a.rank < b.rank }
}

/// One check of ``LatentEBM/diagnose(trainer:data:heldOut:config:using:)``: its measured value,
/// the values at which it warns and fails (higher is worse), the verdict, what it means, and the
/// call that applies the remedy.
public struct DiagnosisCheck: Sendable {
  /// A short key: `short_run_gap`, `posterior`, ….
  public var name: String
  /// What is measured, in words.
  public var title: String
  public var value: Double
  public var warnAt: Double
  public var failAt: Double
  public var verdict: Verdict
  /// One sentence on what the value means here.
  public var meaning: String
  /// The call that applies the remedy (`configure(m, prior_steps: 120)`), or nil when all is well.
  public var remedy: String?
  /// The numbers behind the value, by name.
  public var details: [(String, Double)]

  init(_ name: String, _ title: String, value: Double, warnAt: Double, failAt: Double, meaning: (Verdict) -> String,
       remedy: String?, details: [(String, Double)] = []) {
    self.name = name; self.title = title; self.value = value; self.warnAt = warnAt; self.failAt = failAt
    verdict = !value.isFinite ? .fail : value >= failAt ? .fail : value >= warnAt ? .warn : .ok
    self.meaning = meaning(verdict)
    self.remedy = verdict == .ok ? nil : remedy
    self.details = details
  }

  /// A check that does not apply, and why.
  static func notApplicable(_ name: String, _ title: String, _ why: String) -> DiagnosisCheck {
    var c = DiagnosisCheck(name, title, value: 0, warnAt: 1, failAt: 2, meaning: { _ in why }, remedy: nil)
    c.verdict = .notApplicable
    return c
  }
}

/// How much work ``LatentEBM/diagnose(trainer:data:heldOut:config:using:)`` does.
public struct DiagnosisConfig: Sendable {
  /// Prior chains for the short-run gap and the step check.
  public var priorChains = 1000
  /// Long-run chains run this many times K⁻.
  public var longRunFactor = 10
  /// Chains for the mixing check, and the fewest steps they run.
  public var mixingChains = 32
  public var mixingSteps = 600
  /// Data rows for the posterior and fit checks.
  public var rows = 200
  /// The last iterations of the history the energy-gap check reads.
  public var window = 500
  public init() {}
}
