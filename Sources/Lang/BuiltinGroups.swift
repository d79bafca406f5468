// The builtin groups every interpreter starts with. A new group (models, datasets, plots) is one
// file `Builtins+Name.swift` declaring `extension BuiltinGroup { public static var name: BuiltinGroup }`
// plus one entry in this list.

extension BuiltinGroup {
  /// The groups every new interpreter starts with, in `help()` order.
  public static var standard: [BuiltinGroup] {
    [
      .core,
      .tensor,
      .model,
      .data,
      .files,
      .plot,
    ]
  }
}
