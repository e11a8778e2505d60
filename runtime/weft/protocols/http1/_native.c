/* C accelerators for the HTTP/1.1 hot path: the parser's fast path
 * (`Http1Parser.next_request`) and the response encoder
 * (`ResponseSerializer.encode`, at the end of this file).
 *
 * Why: on the hot path a request is one regular-expression match, a latin-1
 * decode of a window, group extraction and a Python function that fills the
 * Request's slots. Here the same head is validated and framed in one pass
 * over the bytes and the Request is built directly. The pure-Python
 * `py_next_request` in parser.py is the specification: it accepts exactly the
 * heads this accepts, returns equal requests and leaves the parser in the
 * same state (tests/weft/http1/test_native_parser.py compares them, by hand
 * and with hypothesis). Anything this does not accept returns None, and the
 * Python parser's detailed path decides, as it does for the Python fast path.
 *
 * What is accepted (parser.py's `_FAST_FRAMED`): an origin-form HTTP/1.1
 * request line `TOKEN SP /path[?query] SP HTTP/1.1 CRLF`, then field lines
 * `TOKEN ":" value CRLF` (value bytes: HTAB, SP-~, 0x80-0xFF), exactly one of
 * them Host and none of them Content-Length, Transfer-Encoding, Connection or
 * Expect (names compared ASCII case-insensitively), then CRLF; all within the
 * parser's `_fast_max + 2` bytes; method not CONNECT.
 *
 * The parser's slots are read and written through their member descriptors'
 * offsets, found once by `bind`, which also checks that each is an object
 * slot; `next_request` checks the exact parser type on every call.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE  /* memmem */
#endif
#include "_native_slots.h"
#include <string.h>

static unsigned char TCHAR[256];   /* RFC 9110 token characters */
static unsigned char PATHC[256];   /* origin-form path bytes after "/": 0x21-0x7E but "?" */
static unsigned char QUERYC[256];  /* query bytes: 0x21-0x7E */
static unsigned char VALUEC[256];  /* field-value bytes: HTAB, 0x20-0x7E, 0x80-0xFF */

/* What `bind` found; NULL/-1 until then. */
static PyTypeObject *parser_type, *request_type, *headers_type;
static PyObject *split_fields, *need_data, *head_state;
static PyObject *empty_bytes, *str_11, *str_http, *str_slash;
static PyObject *known_methods[7];
static const char *const METHOD_NAMES[7] = {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH",
                                            "OPTIONS"};

enum {
    P_STATE, P_BUF, P_POS, P_SCAN, P_FAST_MAX, P_DRAINED, P_LINE_SEEN, P_BLANK, P_KEEP_ALIVE,
    P_WORK, P_COUNT
};
static const char *const PARSER_SLOTS[P_COUNT] = {
    "state", "_buf", "_pos", "_scan", "_fast_max", "drained", "_line_seen", "_blank",
    "_keep_alive", "work"};
enum {
    R_BODY, R_EXTENSIONS, R_HEADERS, R_HTTP_VERSION, R_METHOD, R_PATH, R_PATH_PARAMS, R_PEER,
    R_RAW_QUERY, R_SCHEME, R_COUNT
};
static const char *const REQUEST_SLOTS[R_COUNT] = {
    "body", "extensions", "headers", "http_version", "method", "path", "path_params", "peer",
    "raw_query", "scheme"};
enum { H_BLOCK, H_INDEX, H_LIST, H_SPLIT, H_COUNT };
static const char *const HEADERS_SLOTS[H_COUNT] = {"_block", "_index", "_list", "_split"};

static Py_ssize_t parser_off[P_COUNT], request_off[R_COUNT], headers_off[H_COUNT];


static inline int
put_int(PyObject *obj, Py_ssize_t off, Py_ssize_t value)
{
    PyObject *v = PyLong_FromSsize_t(value);
    if (v == NULL)
        return -1;
    put(obj, off, v);
    return 0;
}

/* An int slot of the parser; -1 with an exception if it is unset or not an int. */
static Py_ssize_t
get_int(PyObject *obj, int slot)
{
    PyObject *v = SLOT(obj, parser_off[slot]);
    if (v == NULL || !PyLong_CheckExact(v)) {
        PyErr_Format(PyExc_TypeError, "Http1Parser.%s is not an int", PARSER_SLOTS[slot]);
        return -1;
    }
    return PyLong_AsSsize_t(v);
}

/* Spans of a fast-path head, as offsets from its first byte. */
typedef struct {
    Py_ssize_t method_end;
    Py_ssize_t path_start, path_end;
    Py_ssize_t query_start, query_end; /* query_start < 0: no "?" */
    Py_ssize_t fields_start, fields_end;
} Head;

enum { NAME_PLAIN, NAME_HOST, NAME_REFUSED };

static int
same_lower(const unsigned char *s, Py_ssize_t n, const char *lower)
{
    for (Py_ssize_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c + 32);
        if (c != (unsigned char)lower[i])
            return 0;
    }
    return 1;
}

static int
classify_name(const unsigned char *s, Py_ssize_t n)
{
    switch (n) {
    case 4:
        return same_lower(s, n, "host") ? NAME_HOST : NAME_PLAIN;
    case 6:
        return same_lower(s, n, "expect") ? NAME_REFUSED : NAME_PLAIN;
    case 10:
        return same_lower(s, n, "connection") ? NAME_REFUSED : NAME_PLAIN;
    case 14:
        return same_lower(s, n, "content-length") ? NAME_REFUSED : NAME_PLAIN;
    case 17:
        return same_lower(s, n, "transfer-encoding") ? NAME_REFUSED : NAME_PLAIN;
    default:
        return NAME_PLAIN;
    }
}

/* The length of the fast-path head at the start of s[0:len) including its
 * blank line, or -1 if the bytes are not one (or it does not end within len). */
static Py_ssize_t
fast_head(const unsigned char *s, Py_ssize_t len, Head *h)
{
    Py_ssize_t i = 0;
    while (i < len && TCHAR[s[i]])
        i++;
    if (i == 0 || i >= len || s[i] != ' ')
        return -1;
    h->method_end = i++;
    if (i >= len || s[i] != '/')
        return -1;
    h->path_start = i++;
    while (i < len && PATHC[s[i]])
        i++;
    h->path_end = i;
    h->query_start = h->query_end = -1;
    if (i < len && s[i] == '?') {
        h->query_start = ++i;
        while (i < len && QUERYC[s[i]])
            i++;
        h->query_end = i;
    }
    if (len - i < 11 || memcmp(s + i, " HTTP/1.1\r\n", 11) != 0)
        return -1;
    i += 11;
    h->fields_start = i;
    int hosts = 0;
    for (;;) {
        if (i >= len)
            return -1;
        if (s[i] == '\r')
            break;  /* only a blank line can start with CR */
        Py_ssize_t name = i;
        while (i < len && TCHAR[s[i]])
            i++;
        if (i == name || i >= len || s[i] != ':')
            return -1;
        switch (classify_name(s + name, i - name)) {
        case NAME_HOST:
            if (++hosts > 1)
                return -1;
            break;
        case NAME_REFUSED:
            return -1;
        default:
            break;
        }
        i++;
        while (i < len && VALUEC[s[i]])
            i++;
        if (len - i < 2 || s[i] != '\r' || s[i + 1] != '\n')
            return -1;
        i += 2;
    }
    if (hosts != 1 || len - i < 2 || s[i + 1] != '\n')
        return -1;
    h->fields_end = i;
    return i + 2;
}

static PyObject *
method_str(const unsigned char *s, Py_ssize_t n)
{
    for (int k = 0; k < 7; k++) {
        const char *name = METHOD_NAMES[k];
        if ((Py_ssize_t)strlen(name) == n && memcmp(s, name, (size_t)n) == 0) {
            Py_INCREF(known_methods[k]);
            return known_methods[k];
        }
    }
    return PyUnicode_DecodeLatin1((const char *)s, n, NULL);
}

/* A new, empty instance of a slotted class (object.__new__(tp)). */
static PyObject *
alloc(PyTypeObject *tp)
{
    return tp->tp_alloc(tp, 0);
}

static PyObject *
build_request(const unsigned char *s, const Head *h)
{
    PyObject *method = NULL, *path = NULL, *query = NULL, *fields = NULL;
    PyObject *headers = NULL, *req = NULL, *params = NULL, *ext = NULL;

    method = method_str(s, h->method_end);
    if (h->path_end - h->path_start == 1) {
        Py_INCREF(str_slash);
        path = str_slash;
    } else {
        path = PyUnicode_DecodeLatin1((const char *)s + h->path_start,
                                      h->path_end - h->path_start, NULL);
    }
    if (h->query_start < 0) {
        Py_INCREF(Py_None);
        query = Py_None;
    } else {
        query = PyUnicode_DecodeLatin1((const char *)s + h->query_start,
                                       h->query_end - h->query_start, NULL);
    }
    fields = PyUnicode_DecodeLatin1((const char *)s + h->fields_start,
                                    h->fields_end - h->fields_start, NULL);
    params = PyDict_New();
    ext = PyDict_New();
    if (!method || !path || !query || !fields || !params || !ext)
        goto fail;
    headers = alloc(headers_type);
    if (headers == NULL)
        goto fail;
    put_const(headers, headers_off[H_LIST], Py_None);
    put_const(headers, headers_off[H_INDEX], Py_None);
    put(headers, headers_off[H_BLOCK], fields);
    fields = NULL;
    put_const(headers, headers_off[H_SPLIT], split_fields);
    req = alloc(request_type);
    if (req == NULL)
        goto fail;
    put(req, request_off[R_METHOD], method);
    put(req, request_off[R_PATH], path);
    put(req, request_off[R_RAW_QUERY], query);
    put(req, request_off[R_HEADERS], headers);
    put_const(req, request_off[R_BODY], empty_bytes);
    put_const(req, request_off[R_HTTP_VERSION], str_11);
    put_const(req, request_off[R_SCHEME], str_http);
    put_const(req, request_off[R_PEER], Py_None);
    put(req, request_off[R_PATH_PARAMS], params);
    put(req, request_off[R_EXTENSIONS], ext);
    return req;
fail:
    Py_XDECREF(method);
    Py_XDECREF(path);
    Py_XDECREF(query);
    Py_XDECREF(fields);
    Py_XDECREF(params);
    Py_XDECREF(ext);
    Py_XDECREF(headers);
    return NULL;
}

static int
add_work(PyObject *self, Py_ssize_t amount)
{
    Py_ssize_t work = get_int(self, P_WORK);
    if (work == -1 && PyErr_Occurred())
        return -1;
    return put_int(self, parser_off[P_WORK], work + amount);
}

/* Http1Parser.next_request (see parser.py's `py_next_request`). */
static PyObject *
next_request(PyObject *module, PyObject *self)
{
    if (parser_type == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "weft.protocols.http1._native is not bound");
        return NULL;
    }
    if (!Py_IS_TYPE(self, parser_type)) {
        PyErr_SetString(PyExc_TypeError, "next_request needs an Http1Parser");
        return NULL;
    }
    if (SLOT(self, parser_off[P_STATE]) != head_state)
        Py_RETURN_NONE;
    PyObject *buf = SLOT(self, parser_off[P_BUF]);
    const unsigned char *data;
    Py_ssize_t n;
    if (buf != NULL && PyBytes_CheckExact(buf)) {
        data = (const unsigned char *)PyBytes_AS_STRING(buf);
        n = PyBytes_GET_SIZE(buf);
    } else if (buf != NULL && PyByteArray_CheckExact(buf)) {
        data = (const unsigned char *)PyByteArray_AS_STRING(buf);
        n = PyByteArray_GET_SIZE(buf);
    } else {
        PyErr_SetString(PyExc_TypeError, "Http1Parser._buf is not bytes or bytearray");
        return NULL;
    }
    Py_ssize_t pos = get_int(self, P_POS);
    if (pos == -1 && PyErr_Occurred())
        return NULL;
    if (pos >= n) {
        if (n) {  /* keep no buffer while idle */
            put_const(self, parser_off[P_BUF], empty_bytes);
            if (put_int(self, parser_off[P_POS], 0) < 0 || put_int(self, parser_off[P_SCAN], 0) < 0)
                return NULL;
        }
        Py_INCREF(need_data);
        return need_data;
    }
    Py_ssize_t fast_max = get_int(self, P_FAST_MAX);
    Py_ssize_t scan = get_int(self, P_SCAN);
    if (PyErr_Occurred())
        return NULL;
    Py_ssize_t stop = pos + fast_max + 2;
    if (stop > n)
        stop = n;
    Head h;
    Py_ssize_t end;
    Py_INCREF(buf);  /* `data` stays valid while we allocate */
    if (scan == pos) {
        /* Never searched: frame and validate in one pass. */
        Py_ssize_t r = fast_head(data + pos, stop - pos, &h);
        if (r < 0) {
            Py_DECREF(buf);
            if (add_work(self, stop - pos) < 0)
                return NULL;
            Py_RETURN_NONE;
        }
        end = pos + r;
        if (add_work(self, r) < 0)
            goto error;
    } else {
        /* Part of this head was searched in an earlier read: find its blank
         * line from where that search stopped, then validate the whole head. */
        const unsigned char *found = NULL;
        if (scan < stop)
            found = memmem(data + scan, (size_t)(stop - scan), "\r\n\r\n", 4);
        if (found == NULL) {
            Py_DECREF(buf);
            Py_RETURN_NONE;
        }
        end = (found - data) + 4;
        if (add_work(self, 2 * (end - pos)) < 0)
            goto error;
        if (fast_head(data + pos, end - pos, &h) != end - pos) {
            Py_DECREF(buf);
            Py_RETURN_NONE;
        }
    }
    if (h.method_end == 7 && memcmp(data + pos, "CONNECT", 7) == 0) {
        Py_DECREF(buf);
        Py_RETURN_NONE;
    }
    PyObject *req = build_request(data + pos, &h);
    if (req == NULL)
        goto error;
    Py_DECREF(buf);
    if (end >= n) {
        put_const(self, parser_off[P_BUF], empty_bytes);
        if (put_int(self, parser_off[P_POS], 0) < 0 || put_int(self, parser_off[P_SCAN], 0) < 0)
            goto error_req;
        put_const(self, parser_off[P_DRAINED], Py_True);
    } else if (put_int(self, parser_off[P_POS], end) < 0
               || put_int(self, parser_off[P_SCAN], end) < 0) {
        goto error_req;
    }
    put_const(self, parser_off[P_LINE_SEEN], Py_False);
    if (put_int(self, parser_off[P_BLANK], 0) < 0)
        goto error_req;
    put_const(self, parser_off[P_KEEP_ALIVE], Py_True);
    return req;
error_req:
    Py_DECREF(req);
    return NULL;
error:
    Py_DECREF(buf);
    return NULL;
}

static PyObject *
bind(PyObject *module, PyObject *args)
{
    PyObject *ptype, *rtype, *htype, *split, *need, *head;
    if (!PyArg_ParseTuple(args, "O!O!O!OOO:bind", &PyType_Type, &ptype, &PyType_Type, &rtype,
                          &PyType_Type, &htype, &split, &need, &head))
        return NULL;
    if (slot_offsets((PyTypeObject *)ptype, PARSER_SLOTS, P_COUNT, parser_off) < 0
        || slot_offsets((PyTypeObject *)rtype, REQUEST_SLOTS, R_COUNT, request_off) < 0
        || slot_offsets((PyTypeObject *)htype, HEADERS_SLOTS, H_COUNT, headers_off) < 0)
        return NULL;
    PyObject **dest[] = {(PyObject **)&parser_type, (PyObject **)&request_type,
                         (PyObject **)&headers_type, &split_fields, &need_data, &head_state};
    PyObject *src[] = {ptype, rtype, htype, split, need, head};
    keep_all(dest, src, sizeof src / sizeof src[0]);
    Py_RETURN_NONE;
}

static PyObject *
head_length(PyObject *module, PyObject *arg)
{
    /* The framing alone, for tests: fast_head's result on a bytes object. */
    if (!PyBytes_Check(arg)) {
        PyErr_SetString(PyExc_TypeError, "head_length needs bytes");
        return NULL;
    }
    Head h;
    return PyLong_FromSsize_t(fast_head((const unsigned char *)PyBytes_AS_STRING(arg),
                                        PyBytes_GET_SIZE(arg), &h));
}


/* ------------------------------------------------------------------ encoder
 *
 * ResponseSerializer.encode (serializer.py is the specification): the cached
 * head block for (status, headers), the current date line, our framing and
 * the body, joined into one bytes object sized up front. A cache miss, a
 * date change and anything but an exact Response with a list of headers and
 * a bytes body are left to the Python code (`_block`, `_Block.dated`, and
 * the pure-Python `encode` itself), so this only ever does what it would. */

static PyTypeObject *serializer_type, *block_type, *clock_type, *response_type;
static PyObject *py_encode, *str_block_method, *str_dated_method;

enum { S_CACHE, S_CLOCK, S_COUNT };
static const char *const SERIALIZER_SLOTS[S_COUNT] = {"_cache", "clock"};
enum { B_BODILESS, B_CLOSE, B_DATE, B_PREFIX, B_COUNT };
static const char *const BLOCK_SLOTS[B_COUNT] = {"bodiless", "close", "date", "prefix"};
enum { C_LINE, C_COUNT };
static const char *const CLOCK_SLOTS[C_COUNT] = {"line"};
enum { RS_BODY, RS_HEADERS, RS_STATUS, RS_STREAM, RS_COUNT };
static const char *const RESPONSE_SLOTS[RS_COUNT] = {"body", "headers", "status", "stream"};
static Py_ssize_t serializer_off[S_COUNT], block_off[B_COUNT], clock_off[C_COUNT],
    response_off[RS_COUNT];

static const char CLOSE_LINE[] = "connection: close\r\n";
static const char KEEP_ALIVE_LINE[] = "connection: keep-alive\r\n";

/* The bytes concatenation of up to four pieces, in one allocation. */
static PyObject *
join4(const char *a, Py_ssize_t na, const char *b, Py_ssize_t nb, const char *c, Py_ssize_t nc,
      const char *d, Py_ssize_t nd)
{
    PyObject *out = PyBytes_FromStringAndSize(NULL, na + nb + nc + nd);
    if (out == NULL)
        return NULL;
    char *p = PyBytes_AS_STRING(out);
    memcpy(p, a, (size_t)na);
    memcpy(p + na, b, (size_t)nb);
    memcpy(p + na + nb, c, (size_t)nc);
    memcpy(p + na + nb + nc, d, (size_t)nd);
    return out;
}

/* "content-length: N\r\n\r\n" into buf (at least 48 bytes); its length. */
static Py_ssize_t
length_line(char *buf, Py_ssize_t n)
{
    static const char prefix[] = "content-length: ";
    char digits[24];
    int k = 0;
    do {
        digits[k++] = (char)('0' + n % 10);
        n /= 10;
    } while (n > 0);
    memcpy(buf, prefix, sizeof prefix - 1);
    Py_ssize_t at = (Py_ssize_t)sizeof prefix - 1;
    while (k > 0)
        buf[at++] = digits[--k];
    memcpy(buf + at, "\r\n\r\n", 4);
    return at + 4;
}

/* The last block found, by the identity of its status and header items:
 * handlers that build their header lists from shared tuples (every
 * `weft.response` builder does) skip the key tuple and its hash. Exact tuples
 * of exact strs only, so identity implies the same content; a block depends
 * on nothing else, so whichever serializer found it, it is the one the
 * cache would give. */
#define LAST_MAX 8
static PyObject *last_status, *last_block;
static PyObject *last_items[LAST_MAX];
static Py_ssize_t last_count = -1;

static int
plain_item(PyObject *item)
{
    return PyTuple_CheckExact(item) && PyTuple_GET_SIZE(item) == 2
           && PyUnicode_CheckExact(PyTuple_GET_ITEM(item, 0))
           && PyUnicode_CheckExact(PyTuple_GET_ITEM(item, 1));
}

static PyObject *
last_lookup(PyObject *status, PyObject *headers)
{
    Py_ssize_t n = PyList_GET_SIZE(headers);
    if (last_block == NULL || status != last_status || n != last_count)
        return NULL;
    for (Py_ssize_t i = 0; i < n; i++)
        if (PyList_GET_ITEM(headers, i) != last_items[i])
            return NULL;
    return last_block;
}

static void
last_remember(PyObject *status, PyObject *headers, PyObject *block)
{
    Py_ssize_t n = PyList_GET_SIZE(headers);
    if (n > LAST_MAX || !PyLong_CheckExact(status))
        return;
    for (Py_ssize_t i = 0; i < n; i++)
        if (!plain_item(PyList_GET_ITEM(headers, i)))
            return;
    for (Py_ssize_t i = 0; i < last_count; i++)
        Py_CLEAR(last_items[i]);
    for (Py_ssize_t i = 0; i < n; i++) {
        last_items[i] = PyList_GET_ITEM(headers, i);
        Py_INCREF(last_items[i]);
    }
    last_count = n;
    Py_INCREF(status);
    Py_XSETREF(last_status, status);
    Py_INCREF(block);
    Py_XSETREF(last_block, block);
}

static PyObject *
encode_fallback(PyObject *const *args)
{
    return PyObject_Vectorcall(py_encode, args, 5, NULL);
}

static PyObject *
encode(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 5) {
        PyErr_SetString(PyExc_TypeError, "encode(serializer, response, head_only, keep_alive, http10)");
        return NULL;
    }
    if (serializer_type == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "the encoder of weft.protocols.http1._native is not bound");
        return NULL;
    }
    PyObject *self = args[0], *response = args[1];
    if (!Py_IS_TYPE(self, serializer_type) || !Py_IS_TYPE(response, response_type))
        return encode_fallback(args);
    PyObject *status = SLOT(response, response_off[RS_STATUS]);
    PyObject *headers = SLOT(response, response_off[RS_HEADERS]);
    PyObject *body = SLOT(response, response_off[RS_BODY]);
    PyObject *cache = SLOT(self, serializer_off[S_CACHE]);
    PyObject *clock = SLOT(self, serializer_off[S_CLOCK]);
    if (status == NULL || headers == NULL || !PyList_CheckExact(headers) || body == NULL
        || !PyBytes_CheckExact(body) || cache == NULL || !PyDict_CheckExact(cache)
        || clock == NULL || !Py_IS_TYPE(clock, clock_type))
        return encode_fallback(args);
    int head_only = PyObject_IsTrue(args[2]);
    int keep = PyObject_IsTrue(args[3]);
    int http10 = PyObject_IsTrue(args[4]);
    if (head_only < 0 || keep < 0 || http10 < 0)
        return NULL;

    PyObject *block = last_lookup(status, headers);
    if (block != NULL) {
        Py_INCREF(block);
    } else {
        PyObject *fields = PyList_AsTuple(headers);
        if (fields == NULL)
            return NULL;
        PyObject *key = PyTuple_Pack(2, status, fields);
        Py_DECREF(fields);
        if (key == NULL)
            return NULL;
        block = PyDict_GetItemWithError(cache, key);
        Py_DECREF(key);
        if (block != NULL) {
            Py_INCREF(block);
        } else {
            if (PyErr_Occurred())
                return NULL;
            block = PyObject_CallMethodObjArgs(self, str_block_method, status, headers, NULL);
            if (block == NULL)
                return NULL;
        }
        if (Py_IS_TYPE(block, block_type))
            last_remember(status, headers, block);
    }
    PyObject *prefix = NULL, *out = NULL;
    if (!Py_IS_TYPE(block, block_type)) {
        PyErr_SetString(PyExc_TypeError, "ResponseSerializer._block did not return a _Block");
        goto done;
    }
    if (SLOT(block, block_off[B_CLOSE]) == Py_True)
        keep = 0;
    PyObject *line = SLOT(clock, clock_off[C_LINE]);
    if (line != NULL && SLOT(block, block_off[B_DATE]) == line) {
        prefix = SLOT(block, block_off[B_PREFIX]);
        Py_XINCREF(prefix);
    } else {
        prefix = PyObject_CallMethodObjArgs(block, str_dated_method, line ? line : Py_None, NULL);
    }
    if (prefix == NULL)
        goto done;
    if (!PyBytes_CheckExact(prefix)) {
        PyErr_SetString(PyExc_TypeError, "a response head block is not bytes");
        goto done;
    }
    const char *conn = "";
    Py_ssize_t nconn = 0;
    if (!keep) {
        conn = CLOSE_LINE;
        nconn = (Py_ssize_t)sizeof(CLOSE_LINE) - 1;
    } else if (http10) {
        conn = KEEP_ALIVE_LINE;
        nconn = (Py_ssize_t)sizeof(KEEP_ALIVE_LINE) - 1;
    }
    if (SLOT(block, block_off[B_BODILESS]) == Py_True) {
        out = join4(PyBytes_AS_STRING(prefix), PyBytes_GET_SIZE(prefix), conn, nconn, "\r\n", 2,
                    "", 0);
    } else {
        Py_ssize_t n = PyBytes_GET_SIZE(body);
        char length[48];
        Py_ssize_t nlength = length_line(length, n);
        out = join4(PyBytes_AS_STRING(prefix), PyBytes_GET_SIZE(prefix), conn, nconn, length,
                    nlength, PyBytes_AS_STRING(body), head_only ? 0 : n);
    }
done:
    Py_DECREF(block);
    Py_XDECREF(prefix);
    if (out == NULL)
        return NULL;
    PyObject *result = PyTuple_Pack(2, out, keep ? Py_True : Py_False);
    Py_DECREF(out);
    return result;
}

static PyObject *
bind_encoder(PyObject *module, PyObject *args)
{
    PyObject *stype, *btype, *ctype, *rtype, *fallback;
    if (!PyArg_ParseTuple(args, "O!O!O!O!O:bind_encoder", &PyType_Type, &stype, &PyType_Type,
                          &btype, &PyType_Type, &ctype, &PyType_Type, &rtype, &fallback))
        return NULL;
    if (slot_offsets((PyTypeObject *)stype, SERIALIZER_SLOTS, S_COUNT, serializer_off) < 0
        || slot_offsets((PyTypeObject *)btype, BLOCK_SLOTS, B_COUNT, block_off) < 0
        || slot_offsets((PyTypeObject *)ctype, CLOCK_SLOTS, C_COUNT, clock_off) < 0
        || slot_offsets((PyTypeObject *)rtype, RESPONSE_SLOTS, RS_COUNT, response_off) < 0)
        return NULL;
    if (!PyCallable_Check(fallback)) {
        PyErr_SetString(PyExc_TypeError, "bind_encoder needs the Python encode as its fallback");
        return NULL;
    }
    PyObject **dest[] = {(PyObject **)&serializer_type, (PyObject **)&block_type,
                         (PyObject **)&clock_type, (PyObject **)&response_type, &py_encode};
    PyObject *src[] = {stype, btype, ctype, rtype, fallback};
    keep_all(dest, src, sizeof src / sizeof src[0]);
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"bind", bind, METH_VARARGS,
     "bind(Http1Parser, Request, Headers, split_fields, NEED_DATA, State.HEAD): "
     "find the slots and constants next_request uses"},
    {"next_request", next_request, METH_O,
     "next_request(parser): Http1Parser.next_request in C (see parser.py)"},
    {"bind_encoder", bind_encoder, METH_VARARGS,
     "bind_encoder(ResponseSerializer, _Block, DateClock, Response, python_encode): "
     "find the slots encode uses, and what it falls back to"},
    {"encode", (PyCFunction)(void (*)(void))encode, METH_FASTCALL,
     "encode(serializer, response, head_only, keep_alive, http10): "
     "ResponseSerializer.encode in C (see serializer.py)"},
    {"head_length", head_length, METH_O,
     "head_length(data): length of the fast-path head at the start of data, or -1"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "weft.protocols.http1._native",
    "C accelerators for the HTTP/1.1 hot path (see _native.c).", -1, methods};

static void
init_tables(void)
{
    const char *tchar = "!#$%&'*+-.^_`|~";
    for (int c = 0; c < 256; c++) {
        TCHAR[c] = (unsigned char)((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')
                                   || (c >= 'a' && c <= 'z') || (c && strchr(tchar, c)));
        QUERYC[c] = (unsigned char)(c >= 0x21 && c <= 0x7e);
        PATHC[c] = (unsigned char)(QUERYC[c] && c != '?');
        VALUEC[c] = (unsigned char)(c == '\t' || (c >= 0x20 && c <= 0x7e) || c >= 0x80);
    }
}

PyMODINIT_FUNC
PyInit__native(void)
{
    init_tables();
    PyObject *m = PyModule_Create(&module_def);
    if (m == NULL)
        return NULL;
    empty_bytes = PyBytes_FromStringAndSize("", 0);
    str_11 = PyUnicode_InternFromString("1.1");
    str_http = PyUnicode_InternFromString("http");
    str_slash = PyUnicode_InternFromString("/");
    str_block_method = PyUnicode_InternFromString("_block");
    str_dated_method = PyUnicode_InternFromString("dated");
    if (!empty_bytes || !str_11 || !str_http || !str_slash || !str_block_method
        || !str_dated_method)
        goto fail;
    for (int k = 0; k < 7; k++) {
        known_methods[k] = PyUnicode_InternFromString(METHOD_NAMES[k]);
        if (known_methods[k] == NULL)
            goto fail;
    }
    if (add_method_wrapper(m, "next_request") < 0 || add_method_wrapper(m, "encode") < 0)
        goto fail;
    return m;
fail:
    Py_DECREF(m);
    return NULL;
}
