// What training reports: one iteration's statistics, their history, and an epoch's summary.

/// What one training iteration did (the statistics the reference prints).
public struct TrainStats: Equatable, Sendable {
  public var step = 0
  /// `Σ‖x − g(z⁺)‖² / batch`; for a text generator `Σ −log p_β(x | z⁺) / batch` (nats per sentence).
  public var lossG: Float = 0
  /// `mean E(z⁺) − mean E(z⁻)` (plus the penalty when on).
  public var lossE: Float = 0
  /// Mean energy of posterior samples (en_pos) and of prior samples (en_neg).
  public var enPos: Float = 0
  public var enNeg: Float = 0
  /// Gradient norms of each net's loss, before clipping.
  public var gradNormG: Float = 0
  public var gradNormE: Float = 0
  /// Mean ‖z⁺‖ and ‖z⁻‖.
  public var zNormPos: Float = 0
  public var zNormNeg: Float = 0
  /// Mean ‖z_K − z_0‖ of the posterior and prior chains.
  public var dispPos: Float = 0
  public var dispNeg: Float = 0
  /// Per-pixel mean squared reconstruction error of g(z⁺): `loss_g` over the output's size; for a
  /// text generator, `loss_g` over the row length T (nats per token position, pads included).
  public var mse: Float = 0
  /// The encoder's loss ``LatentEBM/encoderLoss(_:noise:)`` (−ELBO under the tilted prior, up to
  /// log Z(α) and constants), mean over the batch; 0 for a model without an encoder.
  public var lossQ: Float = 0

  public init() {}

  /// The statistics' names, in the order of ``values``.
  public static let names = ["loss_g", "loss_e", "en_pos", "en_neg", "grad_g", "grad_e", "z_pos", "z_neg", "disp_pos", "disp_neg", "mse", "loss_q"]

  /// The statistics as named values, in a fixed order (for histories, printing and plots).
  public var values: [(String, Float)] {
    Array(zip(Self.names, [lossG, lossE, enPos, enNeg, gradNormG, gradNormE, zNormPos, zNormNeg, dispPos, dispNeg, mse, lossQ]))
  }
}

/// Every training iteration's statistics, a column per name ("step" first, then
/// ``TrainStats/names``).
public struct TrainHistory: Equatable, Sendable {
  public private(set) var steps: [Int] = []
  /// `columns[i]` holds statistic `TrainStats.names[i]` of every iteration.
  public private(set) var columns: [[Float]] = TrainStats.names.map { _ in [] }

  public init() {}

  public var count: Int { steps.count }

  /// A history read back (from a checkpoint): `steps[i]` is the step of row `i` of every column.
  /// Fails unless there is one column per ``TrainStats/names`` and every column has a value per step.
  public init?(steps: [Int], columns: [[Float]]) {
    guard columns.count == TrainStats.names.count, columns.allSatisfy({ $0.count == steps.count }) else { return nil }
    self.steps = steps
    self.columns = columns
  }

  mutating func append(_ s: TrainStats) {
    steps.append(s.step)
    for (i, (_, v)) in s.values.enumerated() { columns[i].append(v) }
  }
}

/// What one epoch of ``Trainer/fit(_:epochs:batchSize:shuffle:onEpoch:)`` did.
public struct EpochSummary: Sendable {
  /// The epoch just completed, counted from 1 within this call.
  public var epoch: Int
  /// The trainer's total iterations so far.
  public var step: Int
  /// Each statistic's mean over the epoch's iterations, in ``TrainStats/names`` order.
  public var means: [(String, Double)]
  /// Seconds since the call began.
  public var seconds: Double
}
