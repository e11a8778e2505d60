/* The post-lexer's C twin: `weftc.syntax.postlex.PostLexState.feed`, branch by branch.
 *
 * Same state (bracket stack, open `if`/`while`/... heads, open generic `<`
 * depths, the last two tokens), same re-typing. Where `feed` raises a
 * diagnostic or records a side note (bad number, `static mut`), this returns
 * BAIL and the Python path does it. The short look-ahead regexes are the
 * Python module's own compiled patterns, called here (they run on a few
 * tokens only: `{` glued to a name, `&`, `type`, `static`).
 */

#include "front.h"

#define MAX_NESTING 256

int
postlex_init(Parse *p)
{
    p->prev.type = p->prev2.type = -1;
    p->brackets = NULL;
    p->heads = NULL;
    p->angles = NULL;
    p->n_brackets = p->cap_brackets = p->n_heads = p->cap_heads = p->n_angles = p->cap_angles = 0;
    return OK;
}

void
postlex_free(Parse *p)
{
    PyMem_Free(p->brackets);
    PyMem_Free(p->heads);
    PyMem_Free(p->angles);
}

/* `pattern.match(text, at) is not None` for one of the post-lexer's regexes. */
static int
regex_matches(Parse *p, int rx, Py_ssize_t at)
{
    PyObject *m = PyObject_CallFunction(p->eng->rx[rx], "On", p->text, at);
    if (m == NULL)
        return BAIL;
    int found = m != Py_None;
    Py_DECREF(m);
    return found;
}

/* `_looks_generic`: text[i:] (after `<`) is a balanced type list followed by `(` or `.`. */
static int
looks_generic(Parse *p, Py_ssize_t i)
{
    int depth = 1, parens = 0;
    Py_ssize_t n = p->n, limit = i + 400 < n ? i + 400 : n;
    while (i < limit) {
        Py_UCS4 c = CH(p, i);
        if (c == '<')
            depth++;
        else if (c == '>') {
            if (--depth == 0) {
                Py_ssize_t j = i + 1;
                while (j < n && (CH(p, j) == ' ' || CH(p, j) == '\t'))
                    j++;
                if (j >= n)
                    return 0;
                Py_UCS4 nxt = CH(p, j);
                return nxt == '(' || (nxt == '.' && !(j + 1 < n && CH(p, j + 1) == '.'));
            }
        }
        else if (c == '(' || c == '[')
            parens++;
        else if (c == ')' || c == ']') {
            if (--parens < 0)
                return 0;
        }
        else if (c == '-' && i + 1 < n && CH(p, i + 1) == '>') {
            i += 2;
            continue;
        }
        else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                   || c == '_' || c == ',' || c == '.' || c == '&' || c == '\'' || c == '+'
                   || c == ';' || c == '!' || c == ' ' || c == '\t' || c == '\r' || c == '\n'))
            return 0;
        i++;
    }
    return 0;
}

/* `_next_char`: the first character at or after i that is not " \t\r\n" (0 at the end). */
static Py_UCS4
next_char(Parse *p, Py_ssize_t i)
{
    while (i < p->n) {
        Py_UCS4 c = CH(p, i);
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
            return c;
        i++;
    }
    return 0;
}

static int
is_stmt_boundary(int t)
{
    return t == TK_SEMICOLON || t == TK_LBRACE || t == TK_STRUCT_LBRACE || t == TK_RBRACE
        || t == TK_FATARROW || t == TK_EQUAL || t == TK_LPAR || t == TK_COMMA;
}

/* postlex.RESERVED: a reserved word is its keyword anywhere but after `.`. */
static const int reserved_words[] = {
    TK_LET, TK_FN, TK_IS, TK_TYPE, TK_MATCH, TK_MOUNT, TK_WHERE, TK_IF, TK_ELSE, TK_WHILE, TK_FOR,
    TK_LOOP, TK_BREAK, TK_CONTINUE, TK_RETURN, TK_MUT, TK_CONST, TK_STATIC, TK_PURE, TK_IMPLEMENT,
    TK_PROTOCOL, TK_MODULE, TK_ASYNC, TK_AWAIT, TK_AS, TK_IN, TK_TRUE, TK_FALSE, TK_PUBLIC, TK_PUB,
    TK_USING, TK_CONTEXT, TK_PROVIDE, TK_UNSAFE, TK_EXTENDS};

/* The word class of an identifier (postlex._BLOCK_WORDS/_PREFIX_WORDS/_ITEM_WORDS), 0 if none. */
enum { W_NONE, W_BLOCK, W_PREFIX, W_ITEM };
static const struct { const char *word; int cls; } special_words[] = {
    {"select", W_BLOCK}, {"nursery", W_BLOCK}, {"try", W_BLOCK}, {"comptime", W_BLOCK},
    {"defer", W_PREFIX}, {"errdefer", W_PREFIX}, {"throw", W_PREFIX}, {"yield", W_PREFIX},
    {"quote", W_PREFIX},
    {"theorem", W_ITEM}, {"lemma", W_ITEM}, {"axiom", W_ITEM}, {"proof", W_ITEM},
    {"tactic", W_ITEM}, {"extern", W_ITEM}, {"meta", W_ITEM}, {"cofix", W_ITEM},
    {"affine", W_ITEM}, {"linear", W_ITEM}, {"active", W_ITEM},
};

/* {"block": [...], "prefix": [...], "item": [...], "reserved": [type ids]}: the word
 * lists, for the test that compares them with postlex.py's. */
PyObject *
postlex_word_lists(void)
{
    PyObject *out = PyDict_New();
    PyObject *reserved = PyList_New(0);
    for (size_t r = 0; reserved != NULL && r < sizeof reserved_words / sizeof reserved_words[0]; r++) {
        PyObject *id = PyLong_FromLong(reserved_words[r]);
        if (id == NULL || PyList_Append(reserved, id) < 0)
            Py_CLEAR(reserved);
        Py_XDECREF(id);
    }
    if (out != NULL && (reserved == NULL || PyDict_SetItemString(out, "reserved", reserved) < 0))
        Py_CLEAR(out);
    Py_XDECREF(reserved);
    static const char *const keys[] = {NULL, "block", "prefix", "item"};
    for (int cls = W_BLOCK; out != NULL && cls <= W_ITEM; cls++) {
        PyObject *words = PyList_New(0);
        for (size_t k = 0; words != NULL && k < sizeof special_words / sizeof special_words[0]; k++) {
            PyObject *w = special_words[k].cls == cls ? PyUnicode_FromString(special_words[k].word) : NULL;
            if (w != NULL && PyList_Append(words, w) < 0)
                Py_CLEAR(words);
            Py_XDECREF(w);
        }
        if (words == NULL || PyDict_SetItemString(out, keys[cls], words) < 0)
            Py_CLEAR(out);
        Py_XDECREF(words);
    }
    return out;
}

static int
text_is(Parse *p, Tok *t, const char *w)
{
    Py_ssize_t len = t->end - t->start;
    if (len < 3 || len > 8 || CH(p, t->start) != (Py_UCS4)(unsigned char)w[0]
        || (Py_ssize_t)strlen(w) != len)
        return 0;               /* the special words are 3 to 8 letters long */
    for (Py_ssize_t j = 0; j < len; j++)
        if (CH(p, t->start + j) != (Py_UCS4)(unsigned char)w[j])
            return 0;
    return 1;
}

static int
word_class(Parse *p, Tok *t, const char **word)
{
    for (size_t k = 0; k < sizeof special_words / sizeof special_words[0]; k++)
        if (text_is(p, t, special_words[k].word)) {
            *word = special_words[k].word;
            return special_words[k].cls;
        }
    return W_NONE;
}

/* `_check_unsupported`: BAIL where it would raise. */
static int
check_unsupported(Parse *p, Tok *t, int cls, const char *word)
{
    int pt = p->prev.type;
    if (!(pt < 0 || is_stmt_boundary(pt)))
        return OK;
    Py_UCS4 nxt = next_char(p, t->end);
    if (nxt >= 0x80)
        return BAIL;            /* str.isalnum on non-ASCII: leave it to Python */
    /* Python's `nxt in "..."` is true for the empty string (end of text) */
    if (cls == W_BLOCK && nxt == '{')
        return BAIL;
    if (cls == W_PREFIX && (isalnum((int)nxt) || nxt == 0 || strchr("_\"({[&*-!", (int)nxt))) {
        if (nxt == '(' && strcmp(word, "throw") != 0 && strcmp(word, "yield") != 0)
            return OK;
        return BAIL;
    }
    if (cls == W_ITEM && (pt < 0 || pt == TK_SEMICOLON || pt == TK_RBRACE)
        && (isalpha((int)nxt) || nxt == 0 || strchr("_\"{", (int)nxt)))
        return BAIL;
    return OK;
}

static int
open_bracket(Parse *p, int type)
{
    if (p->n_brackets == p->cap_brackets && grow((void **)&p->brackets, &p->cap_brackets, sizeof(int)) < 0)
        return BAIL;
    p->brackets[p->n_brackets++] = type;
    return p->n_brackets > MAX_NESTING ? BAIL : OK;
}

static int
push_angle(Parse *p, int depth)
{
    if (p->n_angles == p->cap_angles && grow((void **)&p->angles, &p->cap_angles, sizeof(int)) < 0)
        return BAIL;
    p->angles[p->n_angles++] = depth;
    return OK;
}

static Py_UCS4
closer_of(int opener)
{
    return opener == TK_LPAR || opener == TK_ATTR_LPAR ? ')' : opener == TK_LSQB ? ']' : '}';
}

#define TOP_HEAD (p->heads[p->n_heads - 1])

int
postlex_feed(Parse *p, Tok *tok, Tok **split)
{
    int t = tok->type;
    int pt = p->prev.type, p2t = p->prev2.type;
    Py_ssize_t ts = tok->start, te = tok->end;
    int depth = (int)p->n_brackets;
    *split = NULL;
    if (t == TK_IDENT && tok->keyword >= 0 && pt != TK_DOT && pt != TK_OPTDOT) {
        /* RESERVED: a reserved word the parser state took as an identifier
         * (the lexer's keyword, re-typed) is its keyword anywhere but after `.` */
        for (size_t r = 0; r < sizeof reserved_words / sizeof reserved_words[0]; r++)
            if (reserved_words[r] == tok->keyword) {
                t = tok->type = tok->keyword;
                break;
            }
    }
    switch (t) {
    case TK_IDENT: {
        const char *word = NULL;
        int cls = word_class(p, tok, &word);
        if (cls != W_NONE && check_unsupported(p, tok, cls, word) < 0)
            return BAIL;
        break;
    }
    case TK_LBRACE: {
        int head_block = 0;
        if (p->n_heads && TOP_HEAD[0] == depth && !TOP_HEAD[1]) {
            head_block = 1;
            if (TOP_HEAD[2] && pt == TK_IDENT) {
                int m = regex_matches(p, RX_STRUCT_BODY, te);
                if (m < 0)
                    return BAIL;
                head_block = !m;
            }
        }
        if (head_block) {
            while (p->n_heads && TOP_HEAD[0] == depth)
                p->n_heads--;
        }
        else if (pt >= 0) {
            int glued = p->prev.end == ts;
            if (pt == TK_IDENT) {
                int refine = 0;
                if (glued) {
                    int m = regex_matches(p, RX_BODY_START, te);
                    if (m < 0)
                        return BAIL;
                    refine = !m;
                }
                tok->type = refine ? TK_REFINE_LBRACE : TK_STRUCT_LBRACE;
            }
            else if (pt == TK_GT && glued)
                tok->type = TK_REFINE_LBRACE;
        }
        if (open_bracket(p, tok->type) < 0)
            return BAIL;
        break;
    }
    case TK_LPAR:
    case TK_LSQB:
        if (t == TK_LPAR && pt == TK_IDENT && p2t == TK_AT && p->prev.end == ts
            && p->prev2.end == p->prev.start)
            tok->type = TK_ATTR_LPAR;
        if (open_bracket(p, tok->type) < 0)
            return BAIL;
        break;
    case TK_RPAR:
    case TK_RSQB:
    case TK_RBRACE: {
        Py_UCS4 want = t == TK_RPAR ? ')' : t == TK_RSQB ? ']' : '}';
        if (!p->n_brackets || closer_of(p->brackets[p->n_brackets - 1]) != want)
            return BAIL;        /* E0006 */
        depth = (int)--p->n_brackets;
        while (p->n_angles && p->angles[p->n_angles - 1] > depth)
            p->n_angles--;
        while (p->n_heads && TOP_HEAD[0] > depth)
            p->n_heads--;
        break;
    }
    case TK_IF: case TK_WHILE: case TK_MATCH: case TK_FOR:
    case TK_PROVIDE: case TK_REQUIRES: case TK_ENSURES:
        if (t == TK_FOR && depth && p->brackets[depth - 1] == TK_LSQB)
            return BAIL;        /* E0009: list comprehension */
        if (p->n_heads == p->cap_heads && grow((void **)&p->heads, &p->cap_heads, sizeof p->heads[0]) < 0)
            return BAIL;
        p->heads[p->n_heads][0] = depth;
        p->heads[p->n_heads][1] = 0;
        p->heads[p->n_heads][2] = t == TK_PROVIDE;
        p->n_heads++;
        break;
    case TK_LET:
        if ((pt == TK_IF || pt == TK_WHILE) && p->n_heads && TOP_HEAD[0] == depth)
            TOP_HEAD[1] = 1;
        break;
    case TK_EQUAL:
        if (p->n_heads && TOP_HEAD[1] && TOP_HEAD[0] == depth)
            TOP_HEAD[1] = 0;
        break;
    case TK_SEMICOLON:
    case TK_FATARROW:
        while (p->n_angles && p->angles[p->n_angles - 1] >= depth)
            p->n_angles--;
        while (p->n_heads && TOP_HEAD[0] == depth)
            p->n_heads--;
        break;
    case TK_LT:
        if (pt >= 0 && p->prev.end == ts && (pt == TK_IDENT || pt == TK_IMPLEMENT)) {
            if (push_angle(p, depth) < 0)
                return BAIL;
            if (pt == TK_IDENT && looks_generic(p, te))
                tok->type = TK_GENERIC_LT;
        }
        break;
    case TK_GT:
        if (p->n_angles && p->angles[p->n_angles - 1] == depth)
            p->n_angles--;
        break;
    case TK_SHR:
        if (p->n_angles && p->angles[p->n_angles - 1] == depth) {
            /* `List<List<Byte>>`: the first `>` closes the inner generic list */
            p->n_angles--;
            Tok *first = tok_new(p);
            if (first == NULL)
                return BAIL;
            first->type = TK_GT;
            first->start = ts;
            first->end = ts + 1;
            first->line = first->end_line = tok->line;
            first->col = tok->col;
            first->end_col = tok->col + 1;
            tok->type = TK_GT;
            tok->start = ts + 1;
            tok->col += 1;
            if (p->n_angles && p->angles[p->n_angles - 1] == depth)
                p->n_angles--;
            *split = first;
            p->prev2.type = TK_GT;
            p->prev2.start = ts;
            p->prev2.end = ts + 1;
            p->prev.type = tok->type;
            p->prev.start = tok->start;
            p->prev.end = tok->end;
            return OK;
        }
        break;
    case TK_NUMBER:
        if (te < p->n && CH(p, te) == '.') {
            /* `_DOT_EXPONENT` (`1.e5`): Python records the E0007 */
            Py_ssize_t j = te + 1;
            if (j < p->n && (CH(p, j) == 'e' || CH(p, j) == 'E')) {
                j++;
                if (j < p->n && (CH(p, j) == '+' || CH(p, j) == '-'))
                    j++;
                if (j < p->n && CH(p, j) >= '0' && CH(p, j) <= '9')
                    return BAIL;
            }
        }
        break;
    case TK_FN:
        if (next_char(p, te) == '*')
            return BAIL;
        break;
    case TK_AMP:
    case TK_TYPE:
    case TK_STATIC: {
        int m = regex_matches(p, t == TK_AMP ? RX_CHECKED_REF : t == TK_TYPE ? RX_TYPE_MODIFIER : RX_STATIC_MUT, te);
        if (m != 0)
            return BAIL;
        break;
    }
    case TK_UNCLOSED_STRING: case TK_UNCLOSED_RAW: case TK_UNCLOSED_COMMENT: case TK_TAGGED_LITERAL:
        return BAIL;
    default:
        break;
    }
    p->prev2 = p->prev;
    p->prev.type = tok->type;
    p->prev.start = tok->start;
    p->prev.end = tok->end;
    return OK;
}
