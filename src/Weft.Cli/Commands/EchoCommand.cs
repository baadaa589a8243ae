using System.CommandLine;
using Weft.Echo;

namespace Weft.Cli.Commands;

/// <summary><c>weft echo ARGS</c>: runs the echo workload with the upstream echo app's flags (<c>--port=8080 --grpc=7070 …</c>).</summary>
internal static class EchoCommand
{
    public static Command Create()
    {
        var flags = new Argument<string[]>("FLAGS")
        {
            Arity = ArgumentArity.ZeroOrMore,
            Description = "Upstream echo app flags, e.g. --port=8080 --grpc=7070 --tcp=9090",
        };
        var command = new Command("echo", "Run the echo test workload (the upstream echo app's protocol)") { flags };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction((result, ct) =>
        {
            // Flags the parser did not recognise arrive as unmatched tokens, the rest as arguments; keep the user's order.
            var known = new HashSet<string>(result.GetValue(flags) ?? [], StringComparer.Ordinal);
            var args = result.Tokens.Select(t => t.Value).SkipWhile(t => t == "echo").Where(t => known.Contains(t) || result.UnmatchedTokens.Contains(t)).ToArray();
            return EchoServer.RunAsync(args, ct);
        });
        return command;
    }
}
