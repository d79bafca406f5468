import Testing

/// All Lang tests run one at a time: scripts share the engine's global random generator and the
/// global interrupt flag.
@Suite(.serialized) struct LangSuite {}
