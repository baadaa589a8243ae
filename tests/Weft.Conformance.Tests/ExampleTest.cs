using Xunit.Abstractions;

namespace Weft.Conformance.Tests;

/// <summary>
/// A test of one of the repository's examples as a user runs it: a work directory of its own (removed at the end), the
/// weft processes it starts (killed at the end), the ready file <c>weft up</c> writes, and copies of the example.
/// </summary>
public abstract class ExampleTest(ITestOutputHelper output, string example) : IAsyncLifetime
{
    private protected WeftChildren Children { get; } = new(output);

    protected ITestOutputHelper Output { get; } = output;

    protected string Work { get; } = Directory.CreateTempSubdirectory($"weft-{example}-").FullName;

    protected string ReadyFile => Path.Combine(Work, "ready.json");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await Children.DisposeAsync();
        Directory.Delete(Work, recursive: true);
    }

    /// <summary>The example's files (its subdirectories' too) copied to <c>WORK/<paramref name="name"/></c>, which is returned.</summary>
    protected string CopyExample(string? name = null)
    {
        var from = Path.Combine(SharedFiles.Repository, "examples", example);
        var to = Path.Combine(Work, name ?? example);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        return to;
    }
}
