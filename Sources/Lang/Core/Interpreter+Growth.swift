// Growing a list or string variable in place: `xs += ys`, `xs = xs + ys`, `xs = append(xs, v)`
// and `s += t`. A plain evaluation would copy the whole value each time (the variable still holds
// it while the new one is built), so a loop of appends would be quadratic; here the variable's
// value is taken out of its scope first, and grows in its own storage. Evaluation order, results
// and errors are those of the plain statement (GrowthTests).

extension Interpreter {
  /// `xs += ys`, `xs = xs + ys` and `xs = append(xs, v)` on a list variable (and `s += t` on a
  /// string): the variable's value is taken out of its scope while it grows, so the growth is in
  /// place, amortised O(1) per item, instead of a copy of the whole list. Evaluation order, results
  /// and errors are those of the plain statement. Returns false, having evaluated nothing, for
  /// any other statement.
  func growInPlace(_ target: Expr, _ op: AssignOperator, _ valueExpr: Expr, _ span: SourceSpan) throws -> Bool {
    guard case .variable(let name, _) = target, let (growth, operand, opSpan) = growth(of: name, op, valueExpr, span) else {
      return false
    }
    // `+=` evaluates its right side first, `xs + e` and `append(xs, e)` the variable first.
    func read() throws -> Value {
      guard let v = scope.lookup(name) ?? registry[name].map(Value.builtin) else { throw undefined(name, target.span) }
      return v
    }
    var old: Value, added: Value
    if op == .add {
      added = try eval(operand)
      old = try read()
    } else {
      old = try read()
      added = try eval(operand)
    }
    if try !grow(name, &old, growth, &added, opSpan) {
      let v: Value
      switch growth {
      case .join: v = try at(opSpan) { try binary(.add, old, added) }
      case .append: v = try callValue(.builtin(registry["append"]!), [old, added], [], span: opSpan)  // its error
      }
      try assign(target, v, span)
    }
    return true
  }

  private enum Growth { case join, append }

  /// Whether `name op value` grows the variable: `name += e`, `name = name + e` or
  /// `name = append(name, e)` (the builtin, not shadowed); the growth, the operand and its span.
  private func growth(of name: String, _ op: AssignOperator, _ valueExpr: Expr, _ span: SourceSpan) -> (Growth, Expr, SourceSpan)? {
    switch (op, valueExpr) {
    case (.add, _):
      return (.join, valueExpr, span)
    case let (.assign, .binary(.add, .variable(n, _), rhs, bspan)) where n == name:
      return (.join, rhs, bspan)
    case let (.assign, .call(.variable("append", _), args, cspan))
    where args.count == 2 && args.allSatisfy({ $0.label == nil }) && scope.lookup("append") == nil
      && registry["append"] != nil:
      guard case .variable(let n, _) = args[0].value, n == name else { return nil }
      return (.append, args[1].value, cspan)
    default:
      return nil
    }
  }

  /// Grows the list or string held by `name` in place (its storage unshared by taking it out of
  /// the scope first); false when the values are of other types, for the plain operation.
  private func grow(_ name: String, _ old: inout Value, _ growth: Growth, _ added: inout Value, _ opSpan: SourceSpan) throws -> Bool {
    let owner = scope.owner(of: name)
    switch (growth, old.typeName, added.typeName) {
    case (.append, "list", _):
      try tick(opSpan)
      try at(opSpan) {
        guard old.count < options.maxListLength else { throw BuiltinError("append: list too long") }
        try checkNesting(added, inside: 1)
      }
      owner[name] = Value.none  // drop the scope's reference, so the list's storage is unshared
      var items = old.takeList()
      items.append(added)
      owner[name] = .list(items)
    case (.join, "list", "list"):
      try at(opSpan) {
        guard old.count + added.count <= options.maxListLength else {
          throw BuiltinError("list too long (more than \(options.maxListLength) items)")
        }
      }
      owner[name] = Value.none
      var items = old.takeList()
      items.append(contentsOf: added.takeList())
      owner[name] = .list(items)
    case (.join, "string", "string"):
      guard case .string(let more) = added else { return true }
      try at(opSpan) {
        guard old.count + more.utf8.count <= options.maxStringLength else {
          throw BuiltinError("string too long (more than \(options.maxStringLength) characters)")
        }
      }
      owner[name] = Value.none
      var text = old.takeString()
      text += more
      owner[name] = .string(text)
    default:
      return false
    }
    return true
  }
}
