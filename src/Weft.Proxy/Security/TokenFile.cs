namespace Weft.Proxy.Security;

/// <summary>
/// The workload token file (a projected service-account token, or the one <c>weft up</c> writes), read afresh on every
/// use so that a rotated token is picked up. The writer replaces it whole (a rename), so a read sees one token or the
/// other; a read that fails (the file briefly absent) gives the last token read.
/// </summary>
internal sealed class TokenFile(string path)
{
    private string? _last;

    public string? Read()
    {
        try
        {
            var token = File.ReadAllText(path).Trim();
            if (token.Length > 0)
            {
                Volatile.Write(ref _last, token);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Keep the last one; the control plane says whether it still holds.
        }

        return Volatile.Read(ref _last);
    }
}
