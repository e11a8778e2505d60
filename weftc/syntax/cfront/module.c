/* `weftc.syntax._cfront`: the Engine type (compiled tables) and the module.
 *
 * `weftc.syntax.native` builds an Engine from `ParserTables` and calls
 * `Engine.parse`; a `Bail` exception means "run the Python fast path".
 */

#include "front.h"

int tok_bind(PyObject *token_type);
PyObject *lalr_parse(Parse *p, int start, int end_state);

static PyObject *Bail;

static int
read_ints(PyObject *spec, const char *key, void *out, size_t bytes)
{
    PyObject *b = PyDict_GetItemString(spec, key);
    if (b == NULL || !PyBytes_Check(b) || (size_t)PyBytes_GET_SIZE(b) != bytes) {
        PyErr_Format(PyExc_ValueError, "engine spec: bad %s", key);
        return BAIL;
    }
    memcpy(out, PyBytes_AS_STRING(b), bytes);
    return OK;
}

static long
spec_int(PyObject *spec, const char *key)
{
    PyObject *v = PyDict_GetItemString(spec, key);
    if (v == NULL) {
        PyErr_Format(PyExc_KeyError, "engine spec: %s", key);
        return -1;
    }
    return PyLong_AsLong(v);
}

static PyObject *
spec_obj(PyObject *spec, const char *key)
{
    PyObject *v = PyDict_GetItemString(spec, key);
    if (v == NULL)
        PyErr_Format(PyExc_KeyError, "engine spec: %s", key);
    Py_XINCREF(v);
    return v;
}

/* actions: {state: {symbol name: action}}, symbol_ids: {symbol name: id} (lark's
 * table as `ParserTables` keeps it; filled here, a C loop, for start-up time). */
static int
fill_actions(Engine *g, PyObject *spec)
{
    PyObject *actions = PyDict_GetItemString(spec, "actions");
    PyObject *ids = PyDict_GetItemString(spec, "symbol_ids");
    if (actions == NULL || ids == NULL || !PyDict_Check(actions) || !PyDict_Check(ids)) {
        PyErr_SetString(PyExc_ValueError, "engine spec: actions/symbol_ids");
        return BAIL;
    }
    size_t cells = (size_t)g->n_states * (size_t)g->n_symbols;
    for (size_t i = 0; i < cells; i++)
        g->actions[i] = NO_ACTION;
    PyObject *state, *row;
    Py_ssize_t pos = 0;
    while (PyDict_Next(actions, &pos, &state, &row)) {
        long s = PyLong_AsLong(state);
        if (s < 0 || s >= g->n_states || !PyDict_Check(row)) {
            PyErr_SetString(PyExc_ValueError, "engine spec: bad action row");
            return BAIL;
        }
        PyObject *sym, *act;
        Py_ssize_t q = 0;
        while (PyDict_Next(row, &q, &sym, &act)) {
            PyObject *id = PyDict_GetItem(ids, sym);
            long k = id ? PyLong_AsLong(id) : -1;
            long a = PyLong_AsLong(act);
            if (k < 0 || k >= g->n_symbols || a < INT32_MIN + 1 || a > INT32_MAX || PyErr_Occurred()) {
                PyErr_SetString(PyExc_ValueError, "engine spec: bad action");
                return BAIL;
            }
            g->actions[(size_t)s * (size_t)g->n_symbols + (size_t)k] = (int32_t)a;
        }
    }
    return OK;
}

static int
read_rule(Rule *r, PyObject *t)
{
    /* (size, origin, unit, filtered, expand1, trailing, include (flat), native, method or None) */
    if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) != 9) {
        PyErr_SetString(PyExc_ValueError, "engine spec: bad rule");
        return BAIL;
    }
    r->size = (int)PyLong_AsLong(PyTuple_GET_ITEM(t, 0));
    r->origin = (int)PyLong_AsLong(PyTuple_GET_ITEM(t, 1));
    r->unit = PyObject_IsTrue(PyTuple_GET_ITEM(t, 2));
    r->filtered = PyObject_IsTrue(PyTuple_GET_ITEM(t, 3));
    r->expand1 = PyObject_IsTrue(PyTuple_GET_ITEM(t, 4));
    r->trailing = (int)PyLong_AsLong(PyTuple_GET_ITEM(t, 5));
    PyObject *inc = PyTuple_GET_ITEM(t, 6);
    r->native = (int)PyLong_AsLong(PyTuple_GET_ITEM(t, 7));
    PyObject *method = PyTuple_GET_ITEM(t, 8);
    if (!PyTuple_Check(inc) || PyTuple_GET_SIZE(inc) % 3 || r->native >= n_native_builders) {
        PyErr_SetString(PyExc_ValueError, "engine spec: bad rule include");
        return BAIL;
    }
    r->n_include = (int)(PyTuple_GET_SIZE(inc) / 3);
    r->include = PyMem_Malloc(sizeof(int) * (size_t)(PyTuple_GET_SIZE(inc) + 1));
    if (r->include == NULL) {
        PyErr_NoMemory();
        return BAIL;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(inc); i++) {
        r->include[i] = (int)PyLong_AsLong(PyTuple_GET_ITEM(inc, i));
        if (r->include[i] < 0 || (i % 3 == 0 && r->include[i] >= r->size)) {
            PyErr_SetString(PyExc_ValueError, "engine spec: include out of range");
            return BAIL;
        }
    }
    r->method = method == Py_None ? NULL : method;
    Py_XINCREF(r->method);
    return PyErr_Occurred() ? BAIL : OK;
}

static int
engine_init(Engine *g, PyObject *args, PyObject *kwds)
{
    PyObject *spec;
    if (!PyArg_ParseTuple(args, "O!:Engine", &PyDict_Type, &spec))
        return -1;
    g->n_states = (int)spec_int(spec, "n_states");
    g->n_symbols = (int)spec_int(spec, "n_symbols");
    g->n_lexers = (int)spec_int(spec, "n_lexers");
    if (PyErr_Occurred())
        return -1;
    if (g->n_states <= 0 || g->n_symbols < N_TERMINALS || g->n_lexers <= 0) {
        PyErr_SetString(PyExc_ValueError, "engine spec: bad sizes");
        return -1;
    }
    size_t cells = (size_t)g->n_states * (size_t)g->n_symbols;
    g->actions = PyMem_Malloc(cells * sizeof(int32_t));
    g->state_lexer = PyMem_Malloc((size_t)g->n_states * sizeof(int));
    g->lexer_terms = PyMem_Malloc((size_t)g->n_lexers * N_TERMINALS);
    if (g->actions == NULL || g->state_lexer == NULL || g->lexer_terms == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    if (fill_actions(g, spec) < 0
        || read_ints(spec, "state_lexer", g->state_lexer, (size_t)g->n_states * sizeof(int)) < 0
        || read_ints(spec, "lexer_terms", g->lexer_terms, (size_t)g->n_lexers * N_TERMINALS) < 0
        || read_ints(spec, "keyword_of", g->keyword_of, sizeof g->keyword_of) < 0)
        return -1;
    for (int s = 0; s < g->n_states; s++)
        if (g->state_lexer[s] < 0 || g->state_lexer[s] >= g->n_lexers) {
            PyErr_SetString(PyExc_ValueError, "engine spec: bad state lexer");
            return -1;
        }
    PyObject *rules = PyDict_GetItemString(spec, "rules");
    if (rules == NULL || !PyList_Check(rules)) {
        PyErr_SetString(PyExc_ValueError, "engine spec: rules");
        return -1;
    }
    g->n_rules = (int)PyList_GET_SIZE(rules);
    g->rules = PyMem_Calloc((size_t)g->n_rules + 1, sizeof(Rule));
    if (g->rules == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    for (int i = 0; i < g->n_rules; i++)
        if (read_rule(&g->rules[i], PyList_GET_ITEM(rules, i)) < 0)
            return -1;
    for (size_t i = 0; i < cells; i++) {
        int32_t a = g->actions[i];
        if (a != NO_ACTION && (a >= g->n_states || (a < 0 && ~a >= g->n_rules))) {
            PyErr_SetString(PyExc_ValueError, "engine spec: action out of range");
            return -1;
        }
    }
    PyObject *kw = PyDict_GetItemString(spec, "keywords");
    if (kw == NULL || !PyList_Check(kw) || PyList_GET_SIZE(kw) > 64) {
        PyErr_SetString(PyExc_ValueError, "engine spec: keywords");
        return -1;
    }
    g->n_keywords = (int)PyList_GET_SIZE(kw);
    for (int i = 0; i < g->n_keywords; i++) {
        const char *word;
        int type;
        Py_ssize_t len;
        if (!PyArg_ParseTuple(PyList_GET_ITEM(kw, i), "s#i", &word, &len, &type))
            return -1;
        if (len >= 16 || type < 0 || type >= N_TERMINALS) {
            PyErr_SetString(PyExc_ValueError, "engine spec: keyword");
            return -1;
        }
        memcpy(g->keywords[i].word, word, (size_t)len);
        g->keywords[i].len = (int)len;
        g->keywords[i].type = type;
    }
    if ((g->type_names = spec_obj(spec, "type_names")) == NULL
        || (g->root_match = spec_obj(spec, "root_match")) == NULL
        || (g->type_ids = spec_obj(spec, "type_ids")) == NULL
        || (g->builder = spec_obj(spec, "builder")) == NULL
        || (g->regexes = spec_obj(spec, "regexes")) == NULL)
        return -1;
    if (!PyTuple_Check(g->type_names) || PyTuple_GET_SIZE(g->type_names) != g->n_symbols
        || !PyDict_Check(g->type_ids) || !PyDict_Check(g->regexes)) {
        PyErr_SetString(PyExc_ValueError, "engine spec: names");
        return -1;
    }
    static const char *const rx_names[] = {
#define AS_NAME(id, name) name,
        RX_LIST(AS_NAME)
#undef AS_NAME
    };
    for (int i = 0; i < RX_COUNT; i++)
        if ((g->rx[i] = PyDict_GetItemString(g->regexes, rx_names[i])) == NULL) {
            PyErr_Format(PyExc_KeyError, "engine spec: regex %s", rx_names[i]);
            return -1;
        }
    return 0;
}

static void
engine_dealloc(Engine *g)
{
    if (g->rules != NULL)
        for (int i = 0; i < g->n_rules; i++) {
            PyMem_Free(g->rules[i].include);
            Py_XDECREF(g->rules[i].method);
        }
    PyMem_Free(g->rules);
    PyMem_Free(g->actions);
    PyMem_Free(g->state_lexer);
    PyMem_Free(g->lexer_terms);
    Py_XDECREF(g->type_names);
    Py_XDECREF(g->root_match);
    Py_XDECREF(g->type_ids);
    Py_XDECREF(g->builder);
    Py_XDECREF(g->regexes);
    Py_TYPE(g)->tp_free((PyObject *)g);
}

/* parse(ctx, text, file, base, base_line, base_col, start_state, end_state) */
static PyObject *
engine_parse(Engine *g, PyObject *args)
{
    Parse p;
    memset(&p, 0, sizeof p);
    int start, end_state;
    if (!PyArg_ParseTuple(args, "OUOnnnii:parse", &p.ctx, &p.text, &p.file, &p.base, &p.base_line,
                          &p.base_col, &start, &end_state))
        return NULL;
    if (g->actions == NULL || start < 0 || start >= g->n_states) {
        PyErr_SetString(PyExc_ValueError, "engine not initialised or bad start state");
        return NULL;
    }
    p.eng = g;
    p.kind = PyUnicode_KIND(p.text);
    p.data = PyUnicode_DATA(p.text);
    p.n = PyUnicode_GET_LENGTH(p.text);
    p.line = 1;
    p.nl = -1;
    p.at_origin = p.base == 0 && p.base_line == 1 && p.base_col == 1;
    postlex_init(&p);
    PyObject *result = lalr_parse(&p, start, end_state);
    postlex_free(&p);
    if (result == NULL) {
        /* Bail(cause or None, offset the lexer had reached): for tests and debugging */
        PyObject *cause = PyErr_Occurred() ? take_exception() : NULL;
        PyObject *info = Py_BuildValue("(On)", cause ? cause : Py_None, p.pos);
        Py_XDECREF(cause);
        if (info != NULL) {
            PyErr_SetObject(Bail, info);
            Py_DECREF(info);
        }
    }
    return result;
}

static PyMethodDef engine_methods[] = {
    {"parse", (PyCFunction)engine_parse, METH_VARARGS,
     "parse(ctx, text, file, base, base_line, base_col, start_state, end_state): the tree, or Bail"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject Engine_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "weftc.syntax._cfront.Engine",
    .tp_basicsize = sizeof(Engine),
    .tp_dealloc = (destructor)engine_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "lark's LALR tables compiled for the C parser (see weftc.syntax.native).",
    .tp_methods = engine_methods,
    .tp_init = (initproc)engine_init,
    .tp_new = PyType_GenericNew,
};

/* bind(spec): the classes and tables the builders need (see nodes_bind), and lark.Token. */
static PyObject *
bind(PyObject *self, PyObject *spec)
{
    if (!PyDict_Check(spec)) {
        PyErr_SetString(PyExc_TypeError, "bind(spec: dict)");
        return NULL;
    }
    PyObject *token = PyDict_GetItemString(spec, "token");
    if (token == NULL) {
        PyErr_SetString(PyExc_KeyError, "token");
        return NULL;
    }
    if (tok_bind(token) < 0 || nodes_bind(spec) < 0)
        return NULL;
    Py_RETURN_NONE;
}

static PyObject *
word_lists(PyObject *self, PyObject *unused)
{
    return postlex_word_lists();
}

static PyMethodDef module_methods[] = {
    {"bind", bind, METH_O, "bind(spec): give the C builders their classes and operator tables"},
    {"word_lists", word_lists, METH_NOARGS,
     "word_lists(): the post-lexer's special and reserved words as the C code has them (for tests)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "weftc.syntax._cfront",
    "C twin of weftc's fast parse path (lexer, post-lexer, LALR loop, hot builders).",
    -1, module_methods,
};

PyMODINIT_FUNC
PyInit__cfront(void)
{
    if (PyType_Ready(&Engine_Type) < 0 || PyType_Ready(&Tok_Type) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (m == NULL)
        return NULL;
    Bail = PyErr_NewException("weftc.syntax._cfront.Bail", NULL, NULL);
    static const char *const terminal_names[] = {
#define AS_NAME(id, name) name,
        TERMINAL_LIST(AS_NAME)
#undef AS_NAME
    };
    PyObject *terms = PyTuple_New(N_TERMINALS);
    PyObject *builders = PyTuple_New(n_native_builders);
    if (Bail == NULL || terms == NULL || builders == NULL)
        goto fail;
    for (int i = 0; i < N_TERMINALS; i++) {
        PyObject *s = PyUnicode_InternFromString(terminal_names[i]);
        if (s == NULL)
            goto fail;
        PyTuple_SET_ITEM(terms, i, s);
    }
    for (int i = 0; i < n_native_builders; i++) {
        PyObject *s = PyUnicode_FromString(native_builder_names[i]);
        if (s == NULL)
            goto fail;
        PyTuple_SET_ITEM(builders, i, s);
    }
    Py_INCREF(&Engine_Type);
    Py_INCREF(Bail);
    if (PyModule_AddObject(m, "Engine", (PyObject *)&Engine_Type) < 0
        || PyModule_AddObject(m, "Bail", Bail) < 0
        || PyModule_AddObject(m, "TERMINALS", terms) < 0
        || PyModule_AddObject(m, "NATIVE_BUILDERS", builders) < 0)
        goto fail;
    return m;
fail:
    Py_XDECREF(terms);
    Py_XDECREF(builders);
    Py_DECREF(m);
    return NULL;
}
