/* The root lexer: lark's first-match-in-order over every terminal, by hand.
 *
 * lark tries the root terminals in one fixed order and takes the first that
 * matches (not the longest); `weftc.syntax.tables` records that order (see
 * `scan.py`). Here each common terminal is matched by a few lines of C that
 * give exactly what its regular expression gives, tried in that order per
 * first character. The rare ones (triple-quoted and tagged strings, bytes,
 * chars, lifetimes) are handed to lark's own root pattern,
 * so they need no C twin. Identifiers may be Unicode, as `\w` is in Python's
 * `re`; any other character >= 0x80 outside a string or comment matches no
 * terminal (an error, which the Python path reports).
 */

#include "front.h"

static inline int is_digit(Py_UCS4 c) { return c >= '0' && c <= '9'; }
/* `[0-9a-zA-Z_]`: NUMBER's own classes are ASCII */
static inline int is_ascii_word(Py_UCS4 c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || is_digit(c); }

/* Python's `re` with str patterns: `\w` is `_` or `str.isalnum()`, `\d` is
 * `str.isdecimal()` (what sre itself tests), so IDENT (`[^\W\d]\w*`) is these. */
static inline int
is_word(Py_UCS4 c)
{
    return c < 0x80 ? is_ascii_word(c) : Py_UNICODE_ISALNUM(c);
}

static inline int
is_ident_start(Py_UCS4 c)
{
    return is_word(c) && !(c < 0x80 ? is_digit(c) : Py_UNICODE_ISDECIMAL(c));
}

/* `"(?:[^"\\\n]|\\.)*"` from the quote at i: the end, or -1. */
static Py_ssize_t
string_body(Parse *p, Py_ssize_t i)
{
    Py_ssize_t n = p->n;
    for (i++; i < n; i++) {
        Py_UCS4 c = CH(p, i);
        if (c == '"')
            return i + 1;
        if (c == '\n')
            return -1;
        if (c == '\\') {
            if (i + 1 >= n || CH(p, i + 1) == '\n')
                return -1;
            i++;
        }
    }
    return -1;
}

/* lark's root pattern at p->pos, for the rare terminals: type id and end. */
static int
root_match(Parse *p, int *type, Py_ssize_t *end)
{
    PyObject *r = PyObject_CallFunction(p->eng->root_match, "On", p->text, p->pos);
    if (r == NULL)
        return BAIL;
    if (r == Py_None) {
        Py_DECREF(r);
        return BAIL;            /* no terminal matches: Python reports it */
    }
    PyObject *id = PyDict_GetItem(p->eng->type_ids, PyTuple_GET_ITEM(r, 0));
    *end = PyLong_AsSsize_t(PyTuple_GET_ITEM(r, 1));
    Py_DECREF(r);
    if (id == NULL)
        return BAIL;
    *type = (int)PyLong_AsLong(id);
    return OK;
}

/* Operators: the longest in lark's order is the first that matches. */
static int
operator(Parse *p, Py_ssize_t i, Py_ssize_t *len)
{
    Py_UCS4 a = CH(p, i);
    Py_UCS4 b = i + 1 < p->n ? CH(p, i + 1) : 0;
    Py_UCS4 c = i + 2 < p->n ? CH(p, i + 2) : 0;
    *len = 3;
    if (a == '.' && b == '.' && c == '=') return TK_DOTDOTEQ;
    if (a == '<' && b == '<' && c == '=') return TK_SHLEQ;
    if (a == '>' && b == '>' && c == '=') return TK_SHREQ;
    *len = 2;
    switch (a) {
    case '&': if (b == '=') return TK_AMPEQ; if (b == '&') return TK_ANDAND; break;
    case '-': if (b == '>') return TK_ARROW; if (b == '=') return TK_MINUSEQ; break;
    case '^': if (b == '=') return TK_CARETEQ; break;
    case '?': if (b == '?') return TK_COALESCE; if (b == '.') return TK_OPTDOT; break;
    case '.': if (b == '.') return TK_DOTDOT; break;
    case '=': if (b == '=') return TK_EQEQ; if (b == '>') return TK_FATARROW; break;
    case '>': if (b == '=') return TK_GE; if (b == '>') return TK_SHR; break;
    case '<': if (b == '=') return TK_LE; if (b == '<') return TK_SHL; break;
    case '!': if (b == '=') return TK_NE; break;
    case '|': if (b == '|') return TK_OROR; if (b == '=') return TK_PIPEEQ; if (b == '>') return TK_PIPEFWD; break;
    case '%': if (b == '=') return TK_PERCENTEQ; break;
    case '+': if (b == '=') return TK_PLUSEQ; break;
    case '*': if (b == '*') return TK_POW; if (b == '=') return TK_STAREQ; break;
    case '/': if (b == '=') return TK_SLASHEQ; break;
    }
    *len = 1;
    switch (a) {
    case '&': return TK_AMP;      case '@': return TK_AT;       case '!': return TK_BANG;
    case '^': return TK_CARET;    case ':': return TK_COLON;    case ',': return TK_COMMA;
    case '.': return TK_DOT;      case '=': return TK_EQUAL;    case '>': return TK_GT;
    case '{': return TK_LBRACE;   case '(': return TK_LPAR;     case '[': return TK_LSQB;
    case '<': return TK_LT;       case '-': return TK_MINUS;    case '%': return TK_PERCENT;
    case '|': return TK_PIPE;     case '+': return TK_PLUS;     case '?': return TK_QMARK;
    case '}': return TK_RBRACE;   case ')': return TK_RPAR;     case ']': return TK_RSQB;
    case ';': return TK_SEMICOLON; case '/': return TK_SLASH;   case '*': return TK_STAR;
    case '~': return TK_TILDE;
    }
    return -1;
}

/* NUMBER from a digit at i (its regex cannot fail there): the end. */
static Py_ssize_t
number(Parse *p, Py_ssize_t i)
{
    Py_ssize_t n = p->n;
    if (CH(p, i) == '0' && i + 1 < n && (CH(p, i + 1) == 'x' || CH(p, i + 1) == 'o' || CH(p, i + 1) == 'b')) {
        i += 2;
        while (i < n && is_ascii_word(CH(p, i)))
            i++;
        return i;
    }
    i++;
    while (i < n && (is_digit(CH(p, i)) || CH(p, i) == '_'))
        i++;
    if (i + 1 < n && CH(p, i) == '.' && is_digit(CH(p, i + 1))) {
        i += 2;
        while (i < n && (is_digit(CH(p, i)) || CH(p, i) == '_'))
            i++;
    }
    if (i < n && (CH(p, i) == 'e' || CH(p, i) == 'E')) {
        Py_ssize_t j = i + 1;
        if (j < n && (CH(p, j) == '+' || CH(p, j) == '-'))
            j++;
        if (j < n && (is_digit(CH(p, j)) || CH(p, j) == '_')) {
            while (j < n && (is_digit(CH(p, j)) || CH(p, j) == '_'))
                j++;
            i = j;
        }
    }
    while (i < n && is_ascii_word(CH(p, i)))
        i++;
    return i;
}

/* The keyword type of the identifier [i, e), or TK_IDENT. */
static int
keyword(Parse *p, Py_ssize_t i, Py_ssize_t e)
{
    Engine *g = p->eng;
    Py_ssize_t len = e - i;
    for (int k = 0; k < g->n_keywords; k++) {
        if (g->keywords[k].len != len || (Py_UCS4)(unsigned char)g->keywords[k].word[0] != CH(p, i))
            continue;
        Py_ssize_t j = 1;
        while (j < len && (Py_UCS4)(unsigned char)g->keywords[k].word[j] == CH(p, i + j))
            j++;
        if (j == len)
            return g->keywords[k].type;
    }
    return TK_IDENT;
}

/* The terminal at i and its end; ignored terminals included. BAIL to defer. */
static int
match_at(Parse *p, Py_ssize_t i, Py_ssize_t *end)
{
    Py_ssize_t n = p->n;
    Py_UCS4 c = CH(p, i);
    Py_UCS4 d = i + 1 < n ? CH(p, i + 1) : 0;
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') {
        i++;
        while (i < n) {
            c = CH(p, i);
            if (!(c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'))
                break;
            i++;
        }
        *end = i;
        return TK_WS;
    }
    if (c == '/' && d == '*') {
        for (Py_ssize_t j = i + 2; j + 1 < n; j++)
            if (CH(p, j) == '*' && CH(p, j + 1) == '/') {
                *end = j + 2;
                return TK_BLOCK_COMMENT;
            }
        return BAIL;            /* UNCLOSED_COMMENT: an error */
    }
    if (c == '/' && d == '/') {
        i += 2;
        while (i < n && CH(p, i) != '\n')
            i++;
        *end = i;
        return TK_LINE_COMMENT;
    }
    if (c == '"') {
        if (d == '"' && i + 2 < n && CH(p, i + 2) == '"')
            return BAIL - 1;    /* RAW_STRING / UNCLOSED_RAW: lark's pattern */
        Py_ssize_t e = string_body(p, i);
        if (e < 0)
            return BAIL;        /* UNCLOSED_STRING: an error */
        *end = e;
        return TK_STRING;
    }
    if (c == '\'')
        return BAIL - 1;        /* CHAR / LIFETIME */
    if (is_digit(c)) {
        *end = number(p, i);
        return TK_NUMBER;
    }
    if (is_ident_start(c)) {
        if (c == 'f' && d == '"') {
            if (i + 3 < n && CH(p, i + 2) == '"' && CH(p, i + 3) == '"')
                return BAIL - 1;    /* RAW_FSTRING (or what lark makes of an unclosed one) */
            Py_ssize_t e = string_body(p, i + 1);
            if (e >= 0) {
                *end = e;
                return TK_FSTRING;
            }
        }
        if (c == 'b' && (d == '"' || d == '\''))
            return BAIL - 1;        /* BYTE / BYTE_STRING */
        Py_ssize_t e = i + 1;
        while (e < n && is_word(CH(p, e)))
            e++;
        if (e < n && CH(p, e) == '#')
            return BAIL - 1;    /* a tagged or route literal, or the identifier alone */
        *end = e;
        return keyword(p, i, e);
    }
    if (c >= 0x80)
        return BAIL;            /* no terminal starts with it: an error */
    Py_ssize_t len;
    int t = operator(p, i, &len);
    if (t < 0)
        return BAIL;            /* no terminal: an error */
    *end = i + len;
    return t;
}

int
lex_next(Parse *p, Tok *t)
{
    for (;;) {
        Py_ssize_t i = p->pos;
        if (i >= p->n) {
            t->type = TK_END;
            t->start = t->end = i;
            t->line = t->end_line = p->line;
            t->col = t->end_col = i - p->nl;
            return OK;
        }
        Py_ssize_t end = i;
        int type = match_at(p, i, &end);
        int deferred = type == BAIL - 1;
        if (deferred && root_match(p, &type, &end) < 0)
            return BAIL;
        if (type < 0)
            return BAIL;
        Py_ssize_t line = p->line, nl = p->nl;
        Py_ssize_t lines = 0, last_nl = -1;
        if (deferred || type == TK_WS || type == TK_BLOCK_COMMENT) {
            for (Py_ssize_t j = i; j < end; j++)
                if (CH(p, j) == '\n') {
                    lines++;
                    last_nl = j;
                }
        }
        p->pos = end;
        if (lines) {
            p->line += lines;
            p->nl = last_nl;
        }
        if (type == TK_WS || type == TK_LINE_COMMENT || type == TK_BLOCK_COMMENT)
            continue;
        t->type = type;
        t->keyword = type >= TK_FN ? type : -1;     /* keywords come last in TERMINAL_LIST */
        t->start = i;
        t->end = end;
        t->line = line;
        t->col = i - nl;
        t->end_line = p->line;
        t->end_col = end - p->nl;
        return OK;
    }
}
