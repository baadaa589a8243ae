using System.Text;
using Xunit.Abstractions;

namespace Weft.Conformance.Tests;

/// <summary>A TextWriter that sends whole lines to the xunit test log.</summary>
internal sealed class TestOutputWriter(ITestOutputHelper output) : TextWriter
{
    private readonly StringBuilder _line = new();
    private readonly Lock _gate = new();

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value)
    {
        lock (_gate)
        {
            if (value == '\n')
            {
                Flush();
            }
            else if (value != '\r')
            {
                _line.Append(value);
            }
        }
    }

    public override void Flush()
    {
        lock (_gate)
        {
            try
            {
                output.WriteLine(_line.ToString());
            }
            catch (InvalidOperationException)
            {
                // The test has finished; nothing left to log to.
            }

            _line.Clear();
        }
    }
}
