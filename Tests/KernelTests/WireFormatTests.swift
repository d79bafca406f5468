// The kernel's wire format: HMAC-SHA256 signatures (RFC 4231's known answers), the delimiter,
// and refusals of bad input, which must be errors and never traps.
import Testing

@testable import Kernel
import Support

@Suite struct WireFormatTests {
  let signer = Signer(key: "a-secret-key")

  func message() -> WireMessage {
    WireMessage(
      identities: [Array("client-1".utf8)], header: HeaderMaker(session: "s").header("execute_request"),
      content: ["code": "1 + 1", "silent": false])
  }

  @Test func hmacSHA256KnownAnswers() {
    // RFC 4231, test case 2: key "Jefe".
    #expect(Signer(key: "Jefe").signature([Array("what do ya want ".utf8), Array("for nothing?".utf8)])
      == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    // The parts are signed as one string, so how the text is split does not matter.
    #expect(Signer(key: "Jefe").signature([Array("what do ya want for nothing?".utf8)])
      == Signer(key: "Jefe").signature([Array("what do ya ".utf8), [], Array("want for nothing?".utf8)]))
    #expect(Signer(key: "").signature([Array("x".utf8)]) == "", "no key: unsigned")
  }

  @Test func framesRoundTrip() throws {
    let sent = message()
    let frames = sent.frames(signer: signer)
    #expect(frames[0] == Array("client-1".utf8))
    #expect(frames[1] == WireMessage.delimiter)
    #expect(frames[2].count == 64, "a hex SHA-256")
    let parsed = try WireMessage.parse(frames, signer: signer)
    #expect(parsed == sent)
    #expect(parsed.type == "execute_request")
    #expect(parsed.content["code"]?.string == "1 + 1")
  }

  @Test func identitiesBeforeTheDelimiterAndBuffersAfter() throws {
    var m = message()
    m.identities = [Array("a".utf8), Array("b".utf8)]
    m.buffers = [[1, 2, 3]]
    let parsed = try WireMessage.parse(m.frames(signer: signer), signer: signer)
    #expect(parsed.identities == [Array("a".utf8), Array("b".utf8)])
    #expect(parsed.buffers == [[1, 2, 3]])
    // No identities at all is fine too.
    m.identities = []
    #expect(try WireMessage.parse(m.frames(signer: signer), signer: signer).identities.isEmpty)
  }

  func refusal(_ frames: [[UInt8]], signer: Signer? = nil) -> String? {
    do {
      _ = try WireMessage.parse(frames, signer: signer ?? self.signer)
      return nil
    } catch {
      return error.message
    }
  }

  @Test func badSignaturesAreRefused() {
    var frames = message().frames(signer: signer)
    #expect(refusal(frames, signer: Signer(key: "another-key")) == "bad signature")
    frames[2][0] = frames[2][0] == UInt8(ascii: "a") ? UInt8(ascii: "b") : UInt8(ascii: "a")
    #expect(refusal(frames) == "bad signature")
    frames[2] = Array(frames[2].dropLast())
    #expect(refusal(frames) == "bad signature", "a shorter signature")
    frames[2] = []
    #expect(refusal(frames) == "bad signature", "an empty signature when a key is set")
    // A changed content with the old signature.
    var changed = message().frames(signer: signer)
    changed[6] = Array(#"{"code": "rm()"}"#.utf8)
    #expect(refusal(changed) == "bad signature")
  }

  @Test func malformedMessagesAreRefused() {
    let good = message().frames(signer: signer)
    #expect(refusal([]) != nil)
    #expect(refusal(good.filter { $0 != WireMessage.delimiter })?.contains("delimiter") == true)
    #expect(refusal(Array(good.prefix(5)))?.contains("frames after the delimiter") == true)
    // JSON frames that are not JSON, or not objects, or a header without msg_type (signed, so
    // the signature is not what refuses them).
    let unsigned = Signer(key: "")
    func with(_ header: String, content: String = "{}") -> [[UInt8]] {
      [WireMessage.delimiter, [], Array(header.utf8), Array("{}".utf8), Array("{}".utf8), Array(content.utf8)]
    }
    #expect(refusal(with("{not json"), signer: unsigned) == "header is not JSON")
    #expect(refusal(with("[1, 2]"), signer: unsigned) == "header is not a JSON object")
    #expect(refusal(with(#"{"msg_id": "x"}"#), signer: unsigned) == "the header has no msg_type")
    #expect(refusal(with(#"{"msg_type": "x"}"#, content: "\u{FF}\u{FE}"), signer: unsigned) == "content is not JSON")
    let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
    #expect(refusal(with(#"{"msg_type": "x"}"#, content: deep), signer: unsigned) == "content is not JSON")
    #expect(refusal(with(#"{"msg_type": "x"}"#), signer: unsigned) == nil)
    // A key twice: the Python side would use the last value, so the message is refused.
    #expect(refusal(with(#"{"msg_type": "x"}"#, content: #"{"code": "1", "code": "2"}"#), signer: unsigned)
      == #"content has a duplicate key "code" (at byte 14)"#)
  }

  @Test func headersAreWellFormed() {
    let h = HeaderMaker(session: "abc").header("status")
    #expect(h["msg_type"]?.string == "status")
    #expect(h["session"]?.string == "abc")
    #expect(h["version"]?.string == "5.3")
    let id = h["msg_id"]?.string ?? ""
    #expect(id.count == 36 && id.split(separator: "-").map(\.count) == [8, 4, 4, 4, 12])
    #expect(newMessageID() != newMessageID())
    let date = h["date"]?.string ?? ""
    #expect(date.count == 27 && date.hasSuffix("Z") && date.dropFirst(10).first == "T", "\(date)")
  }

  @Test func connectionFiles() throws {
    let json: JSONValue = [
      "transport": "tcp", "ip": "127.0.0.1", "shell_port": 5001, "iopub_port": 5002, "stdin_port": 5003,
      "control_port": 5004, "hb_port": 5005, "key": "k", "signature_scheme": "hmac-sha256",
    ]
    let info = try ConnectionInfo.parse(json, path: "c.json")
    #expect(info.endpoint(info.shellPort) == "tcp://127.0.0.1:5001")
    #expect(info.key == "k")
    var bad = json.object ?? [:]
    bad["hb_port"] = 70000
    #expect(throws: KernelError.self) { try ConnectionInfo.parse(.object(bad), path: "c.json") }
    bad = json.object ?? [:]
    bad["signature_scheme"] = "hmac-md5"
    #expect(throws: KernelError.self) { try ConnectionInfo.parse(.object(bad), path: "c.json") }
    #expect(throws: KernelError.self) { try ConnectionInfo.read("/nonexistent/connection.json") }
    // A key twice (which port, which key?) is refused, naming the key.
    let dir = try makeTemporaryDirectory(prefix: "lebm-connection")
    defer { try? removeTree(dir) }
    try writeFile(dir + "/c.json", #"{"shell_port": 5001, "shell_port": 5009}"#)
    #expect(throws: KernelError.self) { try ConnectionInfo.read(dir + "/c.json") }
    do { _ = try ConnectionInfo.read(dir + "/c.json") } catch {
      #expect("\(error)".contains("has a duplicate key \"shell_port\" (at byte 21)"), "\(error)")
    }
  }

  /// Port 0 would bind a port the client cannot know (the kernel would wait forever): refused, as
  /// are ports out of range, non-integers and two sockets on one port.
  @Test func connectionFilePortsMustBeUsable() throws {
    let json: [String: JSONValue] = [
      "transport": "tcp", "ip": "127.0.0.1", "shell_port": 5001, "iopub_port": 5002, "stdin_port": 5003,
      "control_port": 5004, "hb_port": 5005, "key": "k",
    ]
    func message(_ field: String, _ value: JSONValue?) -> String? {
      var bad = json
      bad[field] = value
      do { _ = try ConnectionInfo.parse(.object(bad), path: "c.json") } catch { return error.description }
      return nil
    }
    #expect(message("shell_port", 0)
      == "the connection file 'c.json' has shell_port 0; a port must be a whole number from 1 to 65535")
    #expect(message("hb_port", -1)?.contains("has hb_port -1; a port must be") == true)
    #expect(message("iopub_port", 65536)?.contains("has iopub_port 65536") == true)
    #expect(message("stdin_port", .number(1.5))?.contains("has stdin_port 1.5") == true)
    #expect(message("control_port", "5004")?.contains("has control_port \"5004\"") == true)
    #expect(message("control_port", nil) == "the connection file 'c.json' has no control_port")
    #expect(message("hb_port", 5001)
      == "the connection file 'c.json' gives shell_port and hb_port the same port 5001; each socket needs its own")
    #expect(message("hb_port", 65535) == nil)
  }

  @Test func kernelSpecNamesThisBinary() {
    let spec = KernelCommand.kernelSpec(executable: "/opt/lebm/bin/lebm")
    #expect(spec["argv"] == ["/opt/lebm/bin/lebm", "kernel", "-f", "{connection_file}"])
    #expect(spec["language"]?.string == "lebm" && spec["display_name"]?.string == "lebm")
    #expect(spec["interrupt_mode"]?.string == "signal")
    #expect(KernelCommand.specFolder(prefix: "/p") == "/p/share/jupyter/kernels/lebm")
  }
}
