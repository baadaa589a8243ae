using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Weft.Api.Loading;

/// <summary>
/// Reads a YAML stream one document at a time, so a syntax error in one document does not lose the documents
/// read before it (as kubectl, which splits a file at '---' before decoding, keeps them). After an error the
/// reader can go on at the next document marker, with line numbers still counted from the top of the file. The text is
/// read with <see cref="BoundedParser"/>, so any failure to read it is a <see cref="YamlException"/>.
/// </summary>
internal sealed class YamlDocumentReader
{
    private readonly string[] _lines;
    private BoundedParser _parser;
    private int _firstLine = 1;
    private bool _started;

    public YamlDocumentReader(string text)
    {
        _lines = text.Split('\n');
        _parser = new BoundedParser(text);
    }

    /// <summary>The next document, or null at the end of the stream; throws <see cref="YamlException"/> on a syntax error.</summary>
    public YamlDocument? Next()
    {
        if (!_started)
        {
            _parser.Consume<StreamStart>();
            _started = true;
        }

        if (_parser.Accept<StreamEnd>(out _))
        {
            return null;
        }

        var stream = new YamlStream();
        stream.Load(new OneDocument(_parser));
        _parser.MoveNext(); // past the DocumentEnd OneDocument stopped at
        return stream.Documents[0];
    }

    /// <summary>
    /// After a syntax error at <paramref name="errorLine"/>, starts over at the next '---' line at or after it;
    /// returns that line, or null when no document follows (the reader is then at its end).
    /// </summary>
    public int? ResumeAfter(int errorLine)
    {
        for (var line = Math.Max(errorLine, _firstLine + 1); line <= _lines.Length; line++)
        {
            var text = _lines[line - 1];
            if (text.StartsWith("---", StringComparison.Ordinal) && (text.Length == 3 || char.IsWhiteSpace(text[3])))
            {
                // Blank lines in place of what came before keep every node's line number that of the file.
                var rest = new string('\n', line - 1) + string.Join('\n', _lines[(line - 1)..]);
                _parser = new BoundedParser(rest);
                _firstLine = line;
                _started = false;
                return line;
            }
        }

        _parser = new BoundedParser("");
        _started = false;
        return null;
    }

    /// <summary>One document of a stream presented as a stream of its own, for <see cref="YamlStream.Load(IParser)"/>.</summary>
    private sealed class OneDocument(IParser stream) : IParser
    {
        private int _step;

        public ParsingEvent? Current { get; private set; }

        public bool MoveNext()
        {
            switch (_step)
            {
                case 0:
                    Current = new StreamStart();
                    _step = 1;
                    return true;
                case 1:
                    Current = stream.Current; // the DocumentStart
                    _step = 2;
                    return true;
                case 2 when Current is DocumentEnd:
                    Current = new StreamEnd();
                    _step = 3;
                    return true;
                case 2:
                    stream.MoveNext();
                    Current = stream.Current;
                    return true;
                default:
                    return false;
            }
        }
    }
}
