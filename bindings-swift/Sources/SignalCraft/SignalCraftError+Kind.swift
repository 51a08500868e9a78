// Written by hand (not generated): what every SignalCraftError carries, without a switch.

extension SignalCraftError {
    /// The engine's stable name for the kind: `invalid_input`, `signature`, `unauthenticated`,
    /// `not_found`, `conflict`, `forbidden`, `rate_limited`, `too_large`, `storage`, `internal`
    /// (the CLI's, Python's and Node's names).
    public var kind: String {
        switch self {
        case .InvalidInput: return "invalid_input"
        case .Signature: return "signature"
        case .Unauthenticated: return "unauthenticated"
        case .NotFound: return "not_found"
        case .Conflict: return "conflict"
        case .Forbidden: return "forbidden"
        case .RateLimited: return "rate_limited"
        case .TooLarge: return "too_large"
        case .Storage: return "storage"
        case .Internal: return "internal"
        }
    }

    /// The engine's message.
    public var message: String {
        switch self {
        case let .InvalidInput(message, _), let .Signature(message, _),
             let .Unauthenticated(message, _), let .NotFound(message, _),
             let .Conflict(message, _), let .Forbidden(message, _),
             let .RateLimited(message, _, _), let .TooLarge(message, _),
             let .Storage(message, _), let .Internal(message, _):
            return message
        }
    }

    /// Where bad input is (a JSON path, a header or an argument name); `nil` for other kinds.
    public var path: String? {
        switch self {
        case let .InvalidInput(_, path), let .Signature(_, path),
             let .Unauthenticated(_, path), let .NotFound(_, path),
             let .Conflict(_, path), let .Forbidden(_, path),
             let .RateLimited(_, path, _), let .TooLarge(_, path),
             let .Storage(_, path), let .Internal(_, path):
            return path
        }
    }

    /// For `RateLimited`: seconds until a retry can succeed; `nil` otherwise.
    public var retryAfterSecs: UInt64? {
        if case let .RateLimited(_, _, secs) = self { return secs }
        return nil
    }
}
