// JSON values live in Support (checkpoint records here, notebooks and the Jupyter kernel above);
// the name stays visible to LatentEBM's users.
import Support

/// A JSON value: see `Support.JSONValue`.
public typealias JSONValue = Support.JSONValue
