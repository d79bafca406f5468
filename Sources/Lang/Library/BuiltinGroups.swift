// The builtin groups every interpreter starts with: the language's library, registered into the
// core (Core/ knows no group and imports none of LatentEBM, Plot or Datasets). A new group
// (models, datasets, plots) is one file `Builtins+Name.swift` declaring
// `extension BuiltinGroup { public static var name: BuiltinGroup }` plus one entry in this list.

extension BuiltinGroup {
  /// The groups every new interpreter starts with, in `help()` order.
  public static var standard: [BuiltinGroup] {
    [
      .core,
      .tensor,
      .layers,
      .model,
      .learning,
      .data,
      .corpora,
      .textModels,
      .files,
      .plot,
      .quality,
    ]
  }
}

extension BuiltinRegistry {
  /// A registry of the ``BuiltinGroup/standard`` groups.
  public convenience init() { self.init(groups: BuiltinGroup.standard) }
}

extension Interpreter {
  /// An interpreter with the standard library of builtins; `output` receives `print` and `help`.
  public convenience init(
    options: Options = Options(), output: @escaping (String) -> Void = { Swift.print($0, terminator: "") }
  ) {
    self.init(options: options, registry: BuiltinRegistry(), output: output)
  }

  /// An interpreter with the standard library of builtins, on `host`.
  public convenience init(options: Options = Options(), host: Host) {
    self.init(options: options, registry: BuiltinRegistry(), host: host)
  }
}
