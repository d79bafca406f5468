import Foundation
import Testing
@testable import Datasets

/// A fresh temporary folder for one test; removed by `cleanup()`.
struct TempDir {
  let path: String
  init() throws {
    path = NSTemporaryDirectory() + "lebm-datasets-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  }
  func file(_ name: String) -> String { path + "/" + name }
  func write(_ bytes: [UInt8], _ name: String) throws -> String {
    let p = file(name)
    try FileIO.write(bytes, to: p)
    return p
  }
  func write(_ text: String, _ name: String) throws -> String { try write(Array(text.utf8), name) }
  func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

/// The message of the error `body` throws, or nil when it does not throw.
func errorMessage(_ body: () throws -> Any) -> String? {
  do { _ = try body(); return nil } catch { return "\(error)" }
}

/// Bytes of an IDX file of unsigned bytes with the given sizes.
func idxBytes(magic: UInt32, dims: [Int], data: [UInt8]) -> [UInt8] {
  func be(_ v: Int) -> [UInt8] { [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: v >> $0) } }
  return be(Int(magic)) + dims.flatMap(be) + data
}
