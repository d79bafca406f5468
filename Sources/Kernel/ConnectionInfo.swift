// The connection file a Jupyter client writes for its kernel: where to bind the five sockets and
// the key that signs messages. It is read as hostile input: a size limit, each field checked.
import Support

/// Why the kernel could not start.
public struct KernelError: Error, CustomStringConvertible, Sendable {
  public var description: String
  public init(_ description: String) { self.description = description }
}

/// The contents of a connection file.
public struct ConnectionInfo: Equatable, Sendable {
  /// `tcp` or `ipc`.
  public var transport: String
  public var ip: String
  public var shellPort: Int, iopubPort: Int, stdinPort: Int, controlPort: Int, hbPort: Int
  /// The signing key; empty means unsigned messages.
  public var key: String

  /// Reads and checks the connection file at `path`.
  public static func read(_ path: String) throws(KernelError) -> ConnectionInfo {
    let bytes: [UInt8]
    do throws(FileError) { bytes = try readFileBytes(path, limit: 1 << 20) } catch {
      throw KernelError("cannot read the connection file '\(error.path)': \(error.problem)")
    }
    let json: JSONValue
    do { json = try JSONValue.decode(bytes: bytes) } catch let e as JSONDuplicateKeyError {
      throw KernelError("the connection file '\(path)' has a \(e)")
    } catch {
      throw KernelError("the connection file '\(path)' is not JSON")
    }
    return try parse(json, path: path)
  }

  /// The fields of a connection file's JSON.
  public static func parse(_ json: JSONValue, path: String) throws(KernelError) -> ConnectionInfo {
    func port(_ name: String) throws(KernelError) -> Int { try checkedPort(json, name, path: path) }
    let transport = json["transport"]?.string ?? "tcp"
    guard transport == "tcp" || transport == "ipc" else {
      throw KernelError("the connection file '\(path)' asks for transport '\(transport)'; lebm speaks tcp and ipc")
    }
    let scheme = json["signature_scheme"]?.string ?? "hmac-sha256"
    let key = json["key"]?.string ?? ""
    guard scheme == "hmac-sha256" || key.isEmpty else {
      throw KernelError("the connection file '\(path)' asks for signature scheme '\(scheme)'; lebm signs with hmac-sha256")
    }
    let info = ConnectionInfo(
      transport: transport, ip: json["ip"]?.string ?? "127.0.0.1", shellPort: try port("shell_port"),
      iopubPort: try port("iopub_port"), stdinPort: try port("stdin_port"),
      controlPort: try port("control_port"), hbPort: try port("hb_port"), key: key)
    try info.checkDistinct(path: path)
    return info
  }

  /// The port `name` of a connection file: a whole number in 1…65535. Port 0 would make ZeroMQ
  /// bind a port of its own choosing, which the client that wrote the file cannot know, so the
  /// kernel would wait forever for messages that never come.
  static func checkedPort(_ json: JSONValue, _ name: String, path: String) throws(KernelError) -> Int {
    guard let value = json[name] else {
      throw KernelError("the connection file '\(path)' has no \(name)")
    }
    guard let p = value.int, (1...65535).contains(p) else {
      let shown = String(((try? value.encoded()) ?? "a non-number").prefix(40))
      throw KernelError(
        "the connection file '\(path)' has \(name) \(shown); a port must be a whole number from 1 to 65535")
    }
    return p
  }

  /// Throws when two sockets are given the same port (the second could not bind it).
  func checkDistinct(path: String) throws(KernelError) {
    let named = [("shell_port", shellPort), ("iopub_port", iopubPort), ("stdin_port", stdinPort),
                 ("control_port", controlPort), ("hb_port", hbPort)]
    for (i, a) in named.enumerated() {
      if let b = named[..<i].first(where: { $0.1 == a.1 }) {
        throw KernelError("the connection file '\(path)' gives \(b.0) and \(a.0) the same port \(a.1); each socket needs its own")
      }
    }
  }

  /// The ZeroMQ endpoint of `port`: `tcp://127.0.0.1:5555` or `ipc://name-5555`.
  public func endpoint(_ port: Int) -> String {
    transport == "ipc" ? "ipc://\(ip)-\(port)" : "tcp://\(ip):\(port)"
  }
}
