// What the kernel answers to each request type (messaging protocol 5.3). Cells run in the REPL's
// backend: output streams to iopub as it is printed, each figure written becomes display_data
// (image/png), the value becomes execute_result, an error or an interruption becomes `error`.
import REPL
import Support

extension JupyterKernel {
  /// The reply type and content for `request`; nil for types the kernel does not answer.
  func handle(_ request: WireMessage) -> (String, [String: JSONValue])? {
    let c = request.content
    switch request.type {
    case "kernel_info_request": return ("kernel_info_reply", Self.kernelInfo)
    case "execute_request": return ("execute_reply", execute(request))
    case "complete_request": return ("complete_reply", complete(c["code"]?.string ?? "", cursor: c["cursor_pos"]?.int))
    case "inspect_request": return ("inspect_reply", inspect(c["code"]?.string ?? "", cursor: c["cursor_pos"]?.int))
    case "is_complete_request": return ("is_complete_reply", isComplete(c["code"]?.string ?? ""))
    case "history_request": return ("history_reply", ["status": "ok", "history": .array([])])
    case "comm_info_request": return ("comm_info_reply", ["status": "ok", "comms": .object([:])])
    case "interrupt_request":
      InterruptSignal.handle()
      return ("interrupt_reply", ["status": "ok"])
    case "shutdown_request":
      stop()
      return ("shutdown_reply", ["status": "ok", "restart": .bool(c["restart"]?.bool ?? false)])
    default: return nil
    }
  }

  /// kernel_info_reply's content.
  static let kernelInfo: [String: JSONValue] = [
    "status": "ok", "protocol_version": .string(HeaderMaker.protocolVersion),
    "implementation": "lebm", "implementation_version": .string(CLI.version),
    "language_info": JupyterLanguage.info,
    "banner": .string("lebm \(CLI.version): latent space energy-based prior models"),
    "help_links": .array([]),
  ]

  // MARK: - execute

  /// Runs a cell: execute_input, streamed output, figures, the value or the error.
  func execute(_ request: WireMessage) -> [String: JSONValue] {
    let code = request.content["code"]?.string ?? ""
    let silent = request.content["silent"]?.bool ?? false
    if !silent && (request.content["store_history"]?.bool ?? true) { executionCount += 1 }
    let count = JSONValue.integer(Int64(executionCount))
    if !silent { publish("execute_input", ["code": .string(code), "execution_count": count], parent: request) }
    backend.output = { [weak self] text in
      self?.publish("stream", ["name": "stdout", "text": .string(text)], parent: request)
    }
    backend.progressUpdates = progressUpdates(for: request)
    let result = InterruptSignal.runEvaluation { backend.evaluate(code, file: "<cell \(executionCount)>") }
    backend.output = { _ in }
    for figure in result.figures {
      guard let data = try? readFileBytes(figure.path, limit: 256 << 20) else { continue }
      publish("display_data", ["data": mimeBundle(figure, data: data), "metadata": .object([:])], parent: request)
    }
    if let failure = JupyterError(
      rendered: result.error, interrupted: result.interrupted, interruption: result.interruption, syntax: result.isSyntaxError) {
      publish("error", failure.fields, parent: request)
      return failure.fields.merging(["status": "error", "execution_count": count]) { a, _ in a }
    }
    if let echo = result.echo, !silent {
      publish("execute_result", [
        "execution_count": count, "data": .object(["text/plain": .string(echo)]), "metadata": .object([:]),
      ], parent: request)
    }
    return ["status": "ok", "execution_count": count, "user_expressions": .object([:]), "payload": .array([])]
  }

  /// How long work in a cell shows its progress: a display_data output of one text line with a
  /// display id of its own (transient, as the protocol asks), replaced by update_display_data at
  /// most four times a second. The last update is the run's end; the output stays.
  func progressUpdates(for request: WireMessage) -> ProgressUpdates {
    ProgressUpdates(interval: Self.progressInterval, width: 100) { [weak self] in
      guard let self else { return { _ in } }
      progressDisplays += 1
      let id = "lebm-progress-\(headers.session)-\(progressDisplays)"
      var opened = false
      return { [weak self] line in
        let content: [String: JSONValue] = [
          "data": .object(["text/plain": .string(line)]), "metadata": .object([:]),
          "transient": .object(["display_id": .string(id)]),
        ]
        self?.publish(opened ? "update_display_data" : "display_data", content, parent: request)
        opened = true
      }
    }
  }

  /// The least time between two updates of a progress display, in seconds.
  static let progressInterval = 0.25

  // MARK: - complete, inspect, is_complete

  /// Candidates for the word before `cursor` (code points into `code`, the protocol's unit), from
  /// the REPL's completer.
  func complete(_ code: String, cursor: Int?) -> [String: JSONValue] {
    let (line, lineStart, cursor) = Self.lineBefore(code, cursor: cursor)
    let (_, start, _) = CompletionWord.find(in: line, cursor: line.count)
    let matches = backend.completions(for: line, cursor: line.count)
    let startScalars = String(line.prefix(start)).unicodeScalars.count
    return [
      "status": "ok", "matches": .array(matches.map { .string($0) }),
      "cursor_start": .integer(Int64(lineStart + startScalars)), "cursor_end": .integer(Int64(cursor)),
      "metadata": .object([:]),
    ]
  }

  /// `help(name)` for the name under the cursor (or, between a call's parentheses, for the call);
  /// a variable's summary when it is not a function.
  func inspect(_ code: String, cursor: Int?) -> [String: JSONValue] {
    let scalars = Array(code.unicodeScalars)
    let at = min(max(0, cursor ?? scalars.count), scalars.count)
    func isName(_ s: Unicode.Scalar) -> Bool { s == "_" || s.properties.isAlphabetic || ("0"..."9").contains(s) }
    var start = at, end = at
    while start > 0, isName(scalars[start - 1]) { start -= 1 }
    while end < scalars.count, isName(scalars[end]) { end += 1 }
    var name = String(String.UnicodeScalarView(scalars[start..<end]))
    // Not on a name, but right after `train(` or between its arguments: the call's name.
    let (line, _, _) = Self.lineBefore(code, cursor: at)
    if name.isEmpty, let callee = CompletionWord.enclosingCall(in: line, cursor: line.count) { name = callee }
    var text: String? = nil
    if !name.isEmpty {
      text = backend.helpText(for: name)
      if text == nil, let v = backend.variables().first(where: { $0.name == name }) {
        text = "\(v.name) = \(v.summary)\n"
      }
    }
    guard let text else { return ["status": "ok", "found": false, "data": .object([:]), "metadata": .object([:])] }
    return ["status": "ok", "found": true, "data": .object(["text/plain": .string(text)]), "metadata": .object([:])]
  }

  /// The parser's verdict: run it, wait for more lines (indented), or run it to see the error.
  func isComplete(_ code: String) -> [String: JSONValue] {
    switch backend.check(code) {
    case .complete: return ["status": "complete"]
    case .incomplete: return ["status": "incomplete", "indent": "  "]
    case .invalid: return ["status": "invalid"]
    }
  }

  /// The text of the cursor's line before the cursor, where that line starts, and the cursor,
  /// both in code points (clamped into the code).
  static func lineBefore(_ code: String, cursor: Int?) -> (String, Int, Int) {
    let scalars = Array(code.unicodeScalars)
    let at = min(max(0, cursor ?? scalars.count), scalars.count)
    var start = at
    while start > 0, scalars[start - 1] != "\n" { start -= 1 }
    return (String(String.UnicodeScalarView(scalars[start..<at])), start, at)
  }
}
