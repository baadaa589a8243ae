using System.Text;

namespace Weft.Api.Model;

/// <summary>
/// Kubernetes' <c>$(NAME)</c> references in a container's command, arguments and variable values, as the kubelet
/// expands them before it runs the container: replaced by a variable the container defines, left as written otherwise;
/// <c>$$</c> is a literal <c>$</c>.
/// </summary>
public static class ContainerVariables
{
    /// <summary>
    /// The variables of <paramref name="container"/> whose values its spec holds (<c>env[].value</c>, each expanded with
    /// those before it, as the kubelet does). Those from <c>valueFrom</c> (the downward API, ConfigMaps, Secrets) are known
    /// only where the container runs, so a reference to one stays as written.
    /// </summary>
    public static Dictionary<string, string> Literal(Container container)
    {
        ArgumentNullException.ThrowIfNull(container);
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var variable in container.Env)
        {
            if (variable.Value is { } value)
            {
                env[variable.Name] = Expand(value, env);
            }
        }

        return env;
    }

    /// <summary><paramref name="text"/> with each <c>$(NAME)</c> of <paramref name="env"/> replaced and <c>$$</c> made <c>$</c>.</summary>
    public static string Expand(string text, IReadOnlyDictionary<string, string> env)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(env);
        if (!text.Contains('$', StringComparison.Ordinal))
        {
            return text;
        }

        var result = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '$' || i + 1 >= text.Length)
            {
                result.Append(text[i]);
                continue;
            }

            if (text[i + 1] == '$')
            {
                result.Append('$');
                i++;
                continue;
            }

            var close = text[i + 1] == '(' ? text.IndexOf(')', i + 2) : -1;
            if (close > 0 && env.TryGetValue(text[(i + 2)..close], out var value))
            {
                result.Append(value);
                i = close;
                continue;
            }

            result.Append('$');
        }

        return result.ToString();
    }
}
