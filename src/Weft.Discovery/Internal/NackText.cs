namespace Weft.Discovery.Internal;

/// <summary>
/// What a NACK says of why a policy was rejected: the error's message, at most <see cref="MaxChars"/> characters. A
/// report is one small request (the control plane reads at most 64 KB of one) and its text is shown in status.
/// </summary>
internal static class NackText
{
    public const int MaxChars = 4096;

    public static string Of(string? error) =>
        error is null ? "" : error.Length <= MaxChars ? error : string.Concat(error.AsSpan(0, MaxChars), "…");
}
