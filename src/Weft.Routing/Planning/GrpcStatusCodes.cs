namespace Weft.Routing.Planning;

/// <summary>
/// The gRPC status codes (grpc/grpc doc/statuscodes.md) and their canonical names (<c>UNAVAILABLE</c>), so Routing can
/// speak gRPC without depending on a gRPC library.
/// </summary>
public static class GrpcStatusCodes
{
    public const int Ok = 0;
    public const int Cancelled = 1;
    public const int Unknown = 2;
    public const int InvalidArgument = 3;
    public const int DeadlineExceeded = 4;
    public const int NotFound = 5;
    public const int AlreadyExists = 6;
    public const int PermissionDenied = 7;
    public const int ResourceExhausted = 8;
    public const int FailedPrecondition = 9;
    public const int Aborted = 10;
    public const int OutOfRange = 11;
    public const int Unimplemented = 12;
    public const int Internal = 13;
    public const int Unavailable = 14;
    public const int DataLoss = 15;
    public const int Unauthenticated = 16;

    private static readonly string[] Names =
    [
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
        "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
        "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
    ];

    /// <summary>The canonical name (<c>UNAVAILABLE</c>) of <paramref name="code"/>, or the number for an unknown code.</summary>
    public static string Name(int code) =>
        code >= 0 && code < Names.Length ? Names[code] : code.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Reads a status name in canonical (<c>DEADLINE_EXCEEDED</c>), kebab (<c>deadline-exceeded</c>) or any-case form.
    /// </summary>
    public static bool TryParse(string? name, out int code)
    {
        code = -1;
        if (string.IsNullOrWhiteSpace(name))
        {
            return false;
        }

        var canonical = name.Trim().Replace('-', '_').ToUpperInvariant();
        code = Array.IndexOf(Names, canonical);
        return code >= 0;
    }
}
