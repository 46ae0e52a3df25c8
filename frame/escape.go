package frame

// unescape decodes header escapes in place and returns the decoded prefix of
// b. STOMP 1.0 defines no escapes; 1.1 defines \n, \c and \\; 1.2 adds \r.
func unescape(b []byte, v Version) ([]byte, error) {
	if v == V1_0 {
		return b, nil
	}
	i := 0
	for i < len(b) && b[i] != '\\' {
		i++
	}
	if i == len(b) {
		return b, nil
	}
	w := i
	for i < len(b) {
		c := b[i]
		i++
		if c != '\\' {
			b[w] = c
			w++
			continue
		}
		if i == len(b) {
			return nil, ErrBadEscape
		}
		switch b[i] {
		case 'n':
			c = '\n'
		case 'c':
			c = ':'
		case '\\':
			c = '\\'
		case 'r':
			if v < V1_2 {
				return nil, ErrBadEscape
			}
			c = '\r'
		default:
			return nil, ErrBadEscape
		}
		i++
		b[w] = c
		w++
	}
	return b[:w], nil
}

// needsEscape reports whether s holds a byte that must not appear raw in a
// header.
func needsEscape[T string | []byte](s T) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\', '\n', '\r', ':', 0:
			return true
		}
	}
	return false
}

// appendEscaped appends s to dst in the header form of version v. Where v has
// no escape for a byte that would break the frame (NUL in every version;
// CR and LF in 1.0; CR in 1.1), the byte is replaced by a space, and a colon
// in an unescaped key by '_', so no value can ever inject a header line or
// end a frame early for any client. raw turns escaping off (CONNECT and
// CONNECTED frames), with the same replacements.
func appendEscaped[T string | []byte](dst []byte, s T, v Version, raw bool, key bool) []byte {
	if !needsEscape(s) {
		return append(dst, s...)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == 0:
			dst = append(dst, ' ')
		case c == '\n' || c == '\r':
			switch {
			case raw || v == V1_0 || (c == '\r' && v == V1_1):
				dst = append(dst, ' ')
			case c == '\n':
				dst = append(dst, '\\', 'n')
			default:
				dst = append(dst, '\\', 'r')
			}
		case c == ':':
			switch {
			case !raw && v >= V1_1:
				dst = append(dst, '\\', 'c')
			case key:
				// A colon would end an unescaped key early.
				dst = append(dst, '_')
			default:
				dst = append(dst, c)
			}
		case c == '\\' && !raw && v >= V1_1:
			dst = append(dst, '\\', '\\')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}
