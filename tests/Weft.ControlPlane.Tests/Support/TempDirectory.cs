namespace Weft.ControlPlane.Tests.Support;

internal sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = Directory.CreateTempSubdirectory("weft-cp-").FullName;
    }

    public string Path { get; }

    /// <summary>Writes atomically (a temporary file renamed into place), as kubectl apply changes an object in one step:
    /// the source must never see half a file, or a test waiting for "the next store version" could see that instead.</summary>
    public string Write(string name, string text)
    {
        var file = System.IO.Path.Combine(Path, name);
        var temporary = System.IO.Path.Combine(Path, $".{name}.{Guid.NewGuid():N}.tmp");
        File.WriteAllText(temporary, text);
        File.Move(temporary, file, overwrite: true);
        return file;
    }

    public void Delete(string name) => File.Delete(System.IO.Path.Combine(Path, name));

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
