// What echo and `print` show for a model, its networks, a net a script composed and a dataset:
// several lines, layer by layer, where a one-line ``OpaqueValue/summary`` stays for the value
// inside a list or record.
import Datasets
import Engine
import LatentEBM

extension EnergyNetHandle {
  var display: String { "energy net E_α: " + networkLines(net.summary, layers: net.plannedLayers, parameters: net.parameterCount, indent: "") }
}

extension GeneratorHandle {
  var display: String {
    "generator g_β: " + networkLines(generator.summary, layers: [generator.net], parameters: generator.net.parameterCount, indent: "")
  }
}

extension ModelHandle {
  /// The model layer by layer, the settings that differ from the defaults, and how far it trained.
  var display: String {
    let total = model.parameters.reduce(0) { $0 + $1.count }
    var lines = ["latent EBM: z ∈ ℝ^\(model.latent), σ = \(formatScalar(model.sigma)), σ0 = \(formatScalar(model.priorSigma)), "
      + "\(grouped(total)) parameters"]
    if let e = model.energyNet {
      lines.append("  energy E_α: " + networkLines(e.summary, layers: e.plannedLayers, parameters: e.parameterCount, indent: "  "))
    } else {
      lines.append("  prior: Gaussian N(0, σ0² I) (no energy net)")
    }
    let g = model.generator
    lines.append("  generator g_β: " + networkLines(g.summary, layers: [g.net], parameters: g.net.parameterCount, indent: "  "))
    if let q = model.encoder {
      lines.append("  encoder q_φ (starts the posterior chains): " + networkLines(q.summary, layers: [q.net], parameters: q.net.parameterCount, indent: "  "))
    }
    let changes = config.changes
    lines.append("  settings: " + (changes.isEmpty ? "the defaults" : changes.joined(separator: ", ") + " (others at their defaults)"))
    lines.append("  " + trainingLine)
    return lines.joined(separator: "\n")
  }

  /// "trained 1000 steps (5 epochs); last loss_g 0.12, loss_e -0.03, mse 0.01" or "not trained yet".
  private var trainingLine: String {
    guard let t = trainer, t.step > 0 else { return "not trained yet: train(m, data) or train_step(m, x)" }
    var s = "trained \(t.step) step\(t.step == 1 ? "" : "s") (\(t.epoch) epoch\(t.epoch == 1 ? "" : "s"))"
    let h = t.history
    guard h.count > 0 else { return s + "; the checkpoint it came from kept no history" }
    let last = zip(TrainStats.names, h.columns).filter { ["loss_g", "loss_e", "mse"].contains($0.0) }
      .map { "\($0.0) \(formatScalar($0.1.last ?? .nan))" }
    s += "; last " + last.joined(separator: ", ")
    if h.count < t.step { s += " (history of the last \(h.count) steps)" }
    return s
  }
}

extension DatasetHandle {
  /// `10 classes: 0 ×980, 1 ×1135, …`: the count of each class, the first 12. When some classes
  /// have no example (labels all 255 give 256 classes), only those that occur are listed and
  /// the line says how many: `256 classes, 1 occurring: 255 ×60000`.
  func labelCounts(_ counts: [Int], names: [String]?) -> String {
    let occurring = counts.enumerated().filter { $0.element > 0 }
    let listed = occurring.count == counts.count ? Array(counts.enumerated()) : occurring
    let shown = listed.prefix(12).map { i, n in "\(names.map { $0[i] } ?? String(i)) ×\(n)" }
    let head = occurring.count == counts.count
      ? "\(counts.count) classes: " : "\(counts.count) classes, \(occurring.count) occurring: "
    return head + shown.joined(separator: ", ") + (listed.count > 12 ? ", …" : "")
  }

  /// The summary line, then the values' statistics and the labels' counts per class.
  var display: String {
    var lines = [summary, "  x: " + dataset.x.statisticsLine]
    if let labels = dataset.labels {
      let classes = dataset.classes ?? ((labels.max() ?? -1) + 1)
      var counts = [Int](repeating: 0, count: max(classes, 0))
      for l in labels where l >= 0 && l < counts.count { counts[l] += 1 }
      lines.append("  labels: " + labelCounts(counts, names: dataset.classNames))
    }
    return lines.joined(separator: "\n")
  }
}

extension LayerHandle {
  /// A sequential or a residual layer by layer, under the places its weights are named by
  /// (`0`, `1`, … or `block.0`, …); any other layer as its summary.
  var display: String {
    guard let inner = innerLayers(layer) else { return summary }
    let prefix = layer is Residual ? "block." : ""
    var s = "layer \(layer is Residual ? "Residual, y = x + f(x) with f" : "Sequential") of \(inner.count) layer\(inner.count == 1 ? "" : "s"), "
      + parameterPhrase(layer.parameterCount)
      + layerTable(inner.enumerated().map { (prefix + String($0.offset), layerLine($0.element), $0.element.parameterCount) }, indent: "")
    if !isPlannable { s += "\n  (a script function inside: it runs through the interpreter, on the autodiff path)" }
    return s
  }
}

/// A network's summary and parameter count, then one line per layer (nested `Sequential`s
/// flattened) with its index, as in PyTorch's state_dict names, and its parameter count.
func networkLines(_ summary: String, layers: [Layer]?, parameters: Int, indent: String) -> String {
  let s = "\(summary) (\(grouped(parameters)) parameters)"
  guard let layers else { return s }
  let flat = layers.flatMap { ($0 as? Sequential)?.layers ?? [$0] }
  return s + layerTable(flat.enumerated().map { (String($0.offset), $0.element.description, $0.element.parameterCount) }, indent: indent)
}

/// One line per layer: its place (`0`, `block.1`), its name and its parameter count (right-aligned,
/// blank for none), each line starting with a newline.
func layerTable(_ rows: [(place: String, name: String, parameters: Int)], indent: String) -> String {
  let counts = rows.map { $0.parameters > 0 ? grouped($0.parameters) : "" }
  let width = rows.map(\.name.count).max() ?? 0, countWidth = counts.map(\.count).max() ?? 0
  var s = ""
  for (row, count) in zip(rows, counts) {
    let column = count.isEmpty ? "" : String(repeating: " ", count: width - row.name.count + 2 + countWidth - count.count) + count
    s += "\n\(indent)  \(row.place)  \(row.name)\(column)"
  }
  return s
}

/// 40801 as "40,801".
func grouped(_ n: Int) -> String {
  let digits = String(n.magnitude)
  var out = ""
  for (i, c) in digits.enumerated() {
    if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
    out.append(c)
  }
  return (n < 0 ? "-" : "") + out
}
