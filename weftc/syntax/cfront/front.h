/* weftc's native parser front end: shared declarations.
 *
 * The module `weftc.syntax._cfront` is a C twin of the fused fast path
 * (`weftc.syntax.fastpath`): the root lexer, the post-lexer, lark's LALR
 * tables and the hot tree-builder methods. The Python code stays the
 * specification: whatever this code does not handle exactly (a non-ASCII
 * identifier, a contextual re-lex, an error of any kind) makes it give up
 * with `Bail`, and the caller runs the Python fast path from the start.
 * Rules without a C builder call the Python `AstBuilder` method.
 */

#ifndef WEFTC_CFRONT_H
#define WEFTC_CFRONT_H

#include "_native_slots.h"

/* Every terminal the lexer and post-lexer can produce, by the name lark gives
 * it. Python numbers the table's symbols in this order first (TERMINALS), so
 * these values are symbol ids. */
#define TERMINAL_LIST(X) \
    X(END, "$END") X(IDENT, "IDENT") X(NUMBER, "NUMBER") X(TUPLE_INDEX, "TUPLE_INDEX") \
    X(STRING, "STRING") X(FSTRING, "FSTRING") X(RAW_STRING, "RAW_STRING") \
    X(RAW_FSTRING, "RAW_FSTRING") X(ROUTE_STRING, "ROUTE_STRING") X(BYTE, "BYTE") \
    X(BYTE_STRING, "BYTE_STRING") X(CHAR, "CHAR") X(LIFETIME, "LIFETIME") \
    X(TAGGED_LITERAL, "TAGGED_LITERAL") X(UNCLOSED_STRING, "UNCLOSED_STRING") \
    X(UNCLOSED_RAW, "UNCLOSED_RAW") X(UNCLOSED_COMMENT, "UNCLOSED_COMMENT") \
    X(WS, "WS") X(LINE_COMMENT, "LINE_COMMENT") X(BLOCK_COMMENT, "BLOCK_COMMENT") \
    X(DOTDOTEQ, "DOTDOTEQ") X(SHLEQ, "SHLEQ") X(SHREQ, "SHREQ") X(AMPEQ, "AMPEQ") \
    X(ANDAND, "ANDAND") X(ARROW, "ARROW") X(CARETEQ, "CARETEQ") X(COALESCE, "COALESCE") \
    X(DOTDOT, "DOTDOT") X(EQEQ, "EQEQ") X(FATARROW, "FATARROW") X(GE, "GE") X(LE, "LE") \
    X(MINUSEQ, "MINUSEQ") X(NE, "NE") X(OPTDOT, "OPTDOT") X(OROR, "OROR") \
    X(PERCENTEQ, "PERCENTEQ") X(PIPEEQ, "PIPEEQ") X(PIPEFWD, "PIPEFWD") X(PLUSEQ, "PLUSEQ") \
    X(POW, "POW") X(SHL, "SHL") X(SHR, "SHR") X(SLASHEQ, "SLASHEQ") X(STAREQ, "STAREQ") \
    X(AMP, "AMP") X(AT, "AT") X(BANG, "BANG") X(CARET, "CARET") X(COLON, "COLON") \
    X(COMMA, "COMMA") X(DOT, "DOT") X(EQUAL, "EQUAL") X(GT, "GT") X(LBRACE, "LBRACE") \
    X(LPAR, "LPAR") X(LSQB, "LSQB") X(LT, "LT") X(MINUS, "MINUS") X(PERCENT, "PERCENT") \
    X(PIPE, "PIPE") X(PLUS, "PLUS") X(QMARK, "QMARK") X(RBRACE, "RBRACE") X(RPAR, "RPAR") \
    X(RSQB, "RSQB") X(SEMICOLON, "SEMICOLON") X(SLASH, "SLASH") X(STAR, "STAR") \
    X(TILDE, "TILDE") \
    X(STRUCT_LBRACE, "STRUCT_LBRACE") X(REFINE_LBRACE, "REFINE_LBRACE") \
    X(GENERIC_LT, "GENERIC_LT") X(ATTR_LPAR, "ATTR_LPAR") \
    X(FN, "FN") X(LET, "LET") X(IS, "IS") X(NOT, "NOT") X(TYPE, "TYPE") X(MATCH, "MATCH") \
    X(MOUNT, "MOUNT") X(WHERE, "WHERE") X(IF, "IF") X(ELSE, "ELSE") X(WHILE, "WHILE") \
    X(FOR, "FOR") X(LOOP, "LOOP") X(BREAK, "BREAK") X(CONTINUE, "CONTINUE") \
    X(RETURN, "RETURN") X(MUT, "MUT") X(REF, "REF") X(CONST, "CONST") X(STATIC, "STATIC") \
    X(PURE, "PURE") X(IMPLEMENT, "IMPLEMENT") X(PROTOCOL, "PROTOCOL") X(MODULE, "MODULE") \
    X(ASYNC, "ASYNC") X(AWAIT, "AWAIT") X(MOVE, "MOVE") X(SPAWN, "SPAWN") X(AS, "AS") \
    X(IN, "IN") X(TRUE, "TRUE") X(FALSE, "FALSE") X(SELF, "SELF") X(PUBLIC, "PUBLIC") \
    X(PUB, "PUB") X(INTERNAL, "INTERNAL") X(PROTECTED, "PROTECTED") X(PRIVATE, "PRIVATE") \
    X(COG, "COG") X(SUPER, "SUPER") X(USING, "USING") X(CONTEXT, "CONTEXT") \
    X(PROVIDE, "PROVIDE") X(UNSAFE, "UNSAFE") X(EXTENDS, "EXTENDS") X(REQUIRES, "REQUIRES") \
    X(ENSURES, "ENSURES") X(THROWS, "THROWS") X(IMPL, "IMPL") X(DYN, "DYN")

#define AS_ENUM(id, name) TK_##id,
enum { TERMINAL_LIST(AS_ENUM) N_TERMINALS };
#undef AS_ENUM

/* Status codes of the stages: a stage that cannot go on returns BAIL, with
 * or without a Python exception set (either way the parse gives up). */
#define OK 0
#define BAIL (-1)

/* A token on the parser's value stack: positions relative to the parsed
 * text, as lark's tokens have them; the text and a lark Token are made only
 * when something asks. */
typedef struct {
    PyObject_HEAD
    int type;
    int keyword;        /* the keyword type the lexer found for this text, or -1 */
    Py_ssize_t start, end, line, col, end_line, end_col;
    PyObject *value;    /* str, or NULL until asked */
    PyObject *lark;     /* lark Token, or NULL until asked */
    struct Parse *owner;/* borrowed: the parse that made it (for its text) */
} Tok;

extern PyTypeObject Tok_Type;
#define IS_TOK(o) Py_IS_TYPE((o), &Tok_Type)

/* A grammar rule as the reductions need it (see tables.RuleShape). */
typedef struct {
    int size;            /* children on the stack */
    int origin;          /* goto symbol */
    int unit;            /* a unit rule: the child's value passes through, no reduction work */
    int filtered, expand1, trailing;
    int n_include;
    int *include;        /* n_include x (index, splice, nones before) */
    int native;          /* index into the C builders, or -1 */
    PyObject *method;    /* Python callable taking the kids list, or NULL for a splice */
} Rule;

#define NO_ACTION INT32_MIN

/* The Python regexes the C code calls (their `match`/`fullmatch`), by index. */
#define RX_LIST(X) X(STRUCT_BODY, "struct_body") X(BODY_START, "body_start") \
    X(CHECKED_REF, "checked_ref") X(TYPE_MODIFIER, "type_modifier") X(STATIC_MUT, "static_mut") \
    X(FSTRING_SPEC, "fstring_spec")
#define AS_RX(id, name) RX_##id,
enum { RX_LIST(AS_RX) RX_COUNT };
#undef AS_RX

/* The compiled tables, shared by every parse (an `Engine` object). */
typedef struct {
    PyObject_HEAD
    int n_states, n_symbols, n_rules;
    int32_t *actions;        /* n_states x n_symbols: >= 0 shift/goto, < 0 ~rule, NO_ACTION */
    Rule *rules;
    int *state_lexer;        /* per state: lexer id */
    int n_lexers;
    uint8_t *lexer_terms;    /* n_lexers x N_TERMINALS: 1 if that lexer has the terminal */
    int keyword_of[N_TERMINALS]; /* keyword type -> the terminal spelling it (IDENT), or -1 */
    int n_keywords;
    struct { char word[16]; int len; int type; } keywords[64];
    PyObject *type_names;    /* tuple: symbol id -> str */
    PyObject *root_match;    /* callable(text, pos) -> (type name, end) or None: lark's root lexer */
    PyObject *type_ids;      /* dict: terminal name -> id */
    PyObject *builder;       /* the AstBuilder (for `contexts`) */
    PyObject *regexes;       /* dict of the post-lexer's compiled patterns, by name */
    PyObject *rx[RX_COUNT];  /* the same, by RX_* index (borrowed from `regexes`) */
} Engine;

/* One parse in progress. */
typedef struct Parse {
    Engine *eng;
    PyObject *text;          /* str */
    int kind;
    const void *data;
    Py_ssize_t n;
    /* lexer position */
    Py_ssize_t pos, line, nl;
    /* post-lexer state */
    struct { int type; Py_ssize_t start, end; } prev, prev2;
    int *brackets;           /* bracket stack: opener types */
    Py_ssize_t n_brackets, cap_brackets;
    int (*heads)[3];         /* [depth, let pending, is provide] */
    Py_ssize_t n_heads, cap_heads;
    int *angles;
    Py_ssize_t n_angles, cap_angles;
    /* span context */
    PyObject *file;          /* the source's name */
    int at_origin;
    Py_ssize_t base, base_line, base_col;
    PyObject *ctx;           /* the ParseContext */
} Parse;

#define CH(p, i) PyUnicode_READ((p)->kind, (p)->data, (i))

/* Make room for one more item in a growable array (*arr of *cap items of `size` bytes). */
static inline int
grow(void **arr, Py_ssize_t *cap, size_t size)
{
    Py_ssize_t c = *cap ? *cap * 2 : 64;
    void *n = PyMem_Realloc(*arr, (size_t)c * size);
    if (n == NULL) {
        PyErr_NoMemory();
        return BAIL;
    }
    *arr = n;
    *cap = c;
    return OK;
}

/* lex.c: the next token at p->pos (ignored text skipped) into *t; TK_END at the end. */
int lex_next(Parse *p, Tok *t);
/* postlex.c: re-type `t` in place; *split is set to a new GT token before it for `>>`. */
int postlex_feed(Parse *p, Tok *t, Tok **split);
int postlex_init(Parse *p);
void postlex_free(Parse *p);
PyObject *postlex_word_lists(void);
/* nodes.c */
int nodes_bind(PyObject *spec);
typedef PyObject *(*NativeBuilder)(Parse *p, PyObject **c, Py_ssize_t n);
extern const char *const native_builder_names[];
extern const NativeBuilder native_builders[];
extern const int n_native_builders;
PyObject *tok_value(Tok *t);
PyObject *tok_to_lark(Tok *t);
Tok *tok_new(Parse *p);
int token_type_id(Parse *p, PyObject *x);

#endif
