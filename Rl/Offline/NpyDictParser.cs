namespace MoeScratch.Rl.Offline;

/// <summary>
/// Parses the Python dict literal of an NPY header: string keys; values are strings, True/False or tuples of
/// integers. Nothing else appears in headers written by numpy for plain dtypes.
/// </summary>
internal ref struct NpyDictParser(string text, string source)
{
    private readonly string _text = text;
    private readonly string _source = source;
    private int _pos;

    public Dictionary<string, object> Parse()
    {
        var dict = new Dictionary<string, object>(StringComparer.Ordinal);
        Expect('{');
        while (true)
        {
            SkipSpace();
            if (Peek() == '}') { _pos++; break; }
            string key = ReadString();
            Expect(':');
            SkipSpace();
            object value = Peek() switch
            {
                '\'' or '"' => ReadString(),
                '(' => ReadTuple(),
                _ => ReadBool(),
            };
            if (!dict.TryAdd(key, value)) throw Error($"duplicate key '{key}'");
            SkipSpace();
            if (Peek() == ',') _pos++;
            else if (Peek() != '}') throw Error($"expected ',' or '}}' at position {_pos}");
        }
        SkipSpace();
        if (_pos != _text.Length) throw Error($"unexpected text after the dict at position {_pos}");
        return dict;
    }

    private string ReadString()
    {
        SkipSpace();
        char quote = Peek();
        if (quote is not ('\'' or '"')) throw Error($"expected a quoted string at position {_pos}");
        int end = _text.IndexOf(quote, _pos + 1);
        if (end < 0) throw Error("unterminated string");
        string s = _text[(_pos + 1)..end];
        _pos = end + 1;
        return s;
    }

    private long[] ReadTuple()
    {
        Expect('(');
        var dims = new List<long>();
        while (true)
        {
            SkipSpace();
            if (Peek() == ')') { _pos++; break; }
            int start = _pos;
            while (_pos < _text.Length && char.IsAsciiDigit(_text[_pos])) _pos++;
            // Python 2 era files may write long literals such as 84L.
            if (!long.TryParse(_text.AsSpan(start, _pos - start), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long d))
                throw Error($"expected a non-negative integer in 'shape' at position {start}");
            if (_pos < _text.Length && _text[_pos] == 'L') _pos++;
            dims.Add(d);
            SkipSpace();
            if (Peek() == ',') _pos++;
            else if (Peek() != ')') throw Error($"expected ',' or ')' in 'shape' at position {_pos}");
        }
        return [.. dims];
    }

    private bool ReadBool()
    {
        if (string.CompareOrdinal(_text, _pos, "True", 0, 4) == 0) { _pos += 4; return true; }
        if (string.CompareOrdinal(_text, _pos, "False", 0, 5) == 0) { _pos += 5; return false; }
        throw Error($"expected a string, tuple, True or False at position {_pos}");
    }

    private void Expect(char c)
    {
        SkipSpace();
        if (Peek() != c) throw Error($"expected '{c}' at position {_pos}");
        _pos++;
    }

    private readonly char Peek() => _pos < _text.Length ? _text[_pos] : '\0';

    private void SkipSpace()
    {
        while (_pos < _text.Length && char.IsWhiteSpace(_text[_pos])) _pos++;
    }

    private readonly InvalidDataException Error(string problem) =>
        NpyReader.Fail(_source, $"malformed header dict ({problem}): {_text.Trim()}");
}
