/* C accelerator for the router: `Router.eager` on a static route.
 *
 * Why: after the connection's fast lane, the router's own bookkeeping is the
 * largest Python cost left per request: two dict lookups, the route-template
 * extension, the plan's shape, stepping the handler's coroutine and turning
 * a returned str into a Response. This does exactly that for a route found
 * in the static table whose plan takes the request (`SHAPE_REQUEST`), and
 * hands everything else to the Python methods at the point where it arises:
 * any other route or shape to `py_eager` (before any side effect), a
 * suspended handler to `_resume`, another awaitable to `_finish`, values
 * other than Response and str to `into_response`, and exceptions to
 * `_failure`. router.py's `eager` is the specification (`py_eager`); the
 * router suites run against both builds.
 */

#include "_native_slots.h"

enum { RT_STATIC, RT_COUNT };
static const char *const ROUTER_SLOTS[RT_COUNT] = {"_static"};
enum { RO_PLAN, RO_TEMPLATE, RO_COUNT };
static const char *const ROUTE_SLOTS[RO_COUNT] = {"plan", "template"};
enum { PL_FN, PL_IS_ASYNC, PL_SHAPE, PL_COUNT };
static const char *const PLAN_SLOTS[PL_COUNT] = {"fn", "is_async", "shape"};
enum { RQ_EXTENSIONS, RQ_METHOD, RQ_PATH, RQ_COUNT };
static const char *const REQUEST_SLOTS[RQ_COUNT] = {"extensions", "method", "path"};
enum { RS_BODY, RS_HEADERS, RS_STATUS, RS_STREAM, RS_COUNT };
static const char *const RESPONSE_SLOTS[RS_COUNT] = {"body", "headers", "status", "stream"};

static Py_ssize_t router_off[RT_COUNT], route_off[RO_COUNT], plan_off[PL_COUNT],
    request_off[RQ_COUNT], response_off[RS_COUNT];
static PyTypeObject *router_type, *route_type, *plan_type, *request_type, *response_type;
static PyObject *py_eager, *into_response, *route_key, *text_header, *shape_request,
    *status_200;
static PyObject *s_resume, *s_finish, *s_failure;

/* The handler raised: Router._failure(req, exc) for an Exception, else propagate. */
static PyObject *
failed(PyObject *router, PyObject *req)
{
    if (!PyErr_ExceptionMatches(PyExc_Exception))
        return NULL;
    PyObject *exc = take_exception();
    if (exc == NULL)
        return NULL;
    PyObject *args[3] = {router, req, exc};
    PyObject *r = PyObject_VectorcallMethod(s_failure, args, 3, NULL);
    Py_DECREF(exc);
    return r;
}

/* Response(200, [("content-type", "text/plain; charset=utf-8")], text.encode()) */
static PyObject *
text_response(PyObject *text)
{
    PyObject *body = PyUnicode_AsUTF8String(text);
    if (body == NULL)
        return NULL;
    PyObject *headers = PyList_New(1);
    PyObject *resp = headers ? response_type->tp_alloc(response_type, 0) : NULL;
    if (resp == NULL) {
        Py_DECREF(body);
        Py_XDECREF(headers);
        return NULL;
    }
    Py_INCREF(text_header);
    PyList_SET_ITEM(headers, 0, text_header);
    put_const(resp, response_off[RS_STATUS], status_200);
    put(resp, response_off[RS_HEADERS], headers);
    put(resp, response_off[RS_BODY], body);
    put_const(resp, response_off[RS_STREAM], Py_None);
    return resp;
}

static PyObject *
fallback(PyObject *router, PyObject *req)
{
    PyObject *args[2] = {router, req};
    return PyObject_Vectorcall(py_eager, args, 2, NULL);
}

/* Router.eager (see router.py) */
static PyObject *
eager(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "eager(router, request)");
        return NULL;
    }
    if (router_type == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "weft.router._native is not bound");
        return NULL;
    }
    PyObject *router = args[0], *req = args[1];
    if (!Py_IS_TYPE(router, router_type) || !Py_IS_TYPE(req, request_type))
        return fallback(router, req);
    PyObject *table = SLOT(router, router_off[RT_STATIC]);
    PyObject *path = SLOT(req, request_off[RQ_PATH]);
    PyObject *method = SLOT(req, request_off[RQ_METHOD]);
    PyObject *ext = SLOT(req, request_off[RQ_EXTENSIONS]);
    if (table == NULL || !PyDict_CheckExact(table) || path == NULL || !PyUnicode_CheckExact(path)
        || method == NULL || !PyUnicode_CheckExact(method) || ext == NULL
        || !PyDict_CheckExact(ext))
        return fallback(router, req);
    PyObject *by_method = PyDict_GetItemWithError(table, path);
    PyObject *route = by_method != NULL && PyDict_CheckExact(by_method)
                          ? PyDict_GetItemWithError(by_method, method) : NULL;
    if (route == NULL || !Py_IS_TYPE(route, route_type)) {
        PyErr_Clear();  /* Python asks again and decides */
        return fallback(router, req);
    }
    PyObject *plan = SLOT(route, route_off[RO_PLAN]);
    PyObject *template = SLOT(route, route_off[RO_TEMPLATE]);
    if (plan == NULL || !Py_IS_TYPE(plan, plan_type) || template == NULL)
        return fallback(router, req);
    PyObject *shape = SLOT(plan, plan_off[PL_SHAPE]);
    PyObject *fn = SLOT(plan, plan_off[PL_FN]);
    PyObject *is_async = SLOT(plan, plan_off[PL_IS_ASYNC]);
    if (shape == NULL || fn == NULL || is_async == NULL)
        return fallback(router, req);
    int same = shape == shape_request ? 1 : PyObject_RichCompareBool(shape, shape_request, Py_EQ);
    if (same <= 0) {
        PyErr_Clear();
        return fallback(router, req);
    }
    /* From here on the Python method would be inside its `try`. */
    Py_INCREF(route);
    Py_INCREF(fn);
    Py_INCREF(is_async);
    int set = PyDict_SetItem(ext, route_key, template);
    Py_DECREF(route);
    PyObject *r = set < 0 ? NULL : PyObject_Vectorcall(fn, &req, 1, NULL);
    Py_DECREF(fn);
    if (r == NULL) {
        Py_DECREF(is_async);
        return failed(router, req);
    }
    if (PyCoro_CheckExact(r)) {
        PyObject *coro = r, *value = NULL;
        PySendResult sent = PyIter_Send(coro, Py_None, &value);
        if (sent == PYGEN_NEXT) {
            PyObject *margs[4] = {router, coro, value, req};
            PyObject *rest = PyObject_VectorcallMethod(s_resume, margs, 4, NULL);
            Py_DECREF(coro);
            Py_DECREF(value);
            Py_DECREF(is_async);
            return rest == NULL ? failed(router, req) : rest;
        }
        Py_DECREF(coro);
        if (sent == PYGEN_ERROR) {
            Py_DECREF(is_async);
            return failed(router, req);
        }
        r = value;
    } else {
        int async = PyObject_IsTrue(is_async);
        if (async != 0) {
            Py_DECREF(is_async);
            if (async < 0) {
                Py_DECREF(r);
                return failed(router, req);
            }
            PyObject *margs[3] = {router, r, req};
            PyObject *rest = PyObject_VectorcallMethod(s_finish, margs, 3, NULL);
            Py_DECREF(r);
            return rest == NULL ? failed(router, req) : rest;
        }
    }
    Py_DECREF(is_async);
    if (Py_IS_TYPE(r, response_type))
        return r;
    PyObject *resp = PyUnicode_CheckExact(r) ? text_response(r)
                                             : PyObject_Vectorcall(into_response, &r, 1, NULL);
    Py_DECREF(r);
    return resp == NULL ? failed(router, req) : resp;
}

static PyObject *
bind(PyObject *module, PyObject *args)
{
    PyObject *rt, *ro, *pl, *rq, *rs, *fb, *ir, *key, *ct, *shape;
    if (!PyArg_ParseTuple(args, "O!O!O!O!O!OOUO!O:bind", &PyType_Type, &rt, &PyType_Type, &ro,
                          &PyType_Type, &pl, &PyType_Type, &rq, &PyType_Type, &rs, &fb, &ir, &key,
                          &PyTuple_Type, &ct, &shape))
        return NULL;
    if (slot_offsets((PyTypeObject *)rt, ROUTER_SLOTS, RT_COUNT, router_off) < 0
        || slot_offsets((PyTypeObject *)ro, ROUTE_SLOTS, RO_COUNT, route_off) < 0
        || slot_offsets((PyTypeObject *)pl, PLAN_SLOTS, PL_COUNT, plan_off) < 0
        || slot_offsets((PyTypeObject *)rq, REQUEST_SLOTS, RQ_COUNT, request_off) < 0
        || slot_offsets((PyTypeObject *)rs, RESPONSE_SLOTS, RS_COUNT, response_off) < 0)
        return NULL;
    if (!PyCallable_Check(fb) || !PyCallable_Check(ir)) {
        PyErr_SetString(PyExc_TypeError, "bind: py_eager and into_response must be callable");
        return NULL;
    }
    PyObject **dest[] = {(PyObject **)&router_type, (PyObject **)&route_type,
                         (PyObject **)&plan_type, (PyObject **)&request_type,
                         (PyObject **)&response_type, &py_eager, &into_response, &route_key,
                         &text_header, &shape_request};
    PyObject *src[] = {rt, ro, pl, rq, rs, fb, ir, key, ct, shape};
    keep_all(dest, src, sizeof src / sizeof src[0]);
    Py_RETURN_NONE;
}

static PyMethodDef methods[] = {
    {"bind", bind, METH_VARARGS,
     "bind(Router, Route, HandlerPlan, Request, Response, py_eager, into_response, ROUTE_KEY, "
     "text content-type header, SHAPE_REQUEST): what eager reads and falls back to"},
    {"eager", (PyCFunction)(void (*)(void))eager, METH_FASTCALL,
     "eager(router, request): Router.eager in C for static routes (see router.py)"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "weft.router._native",
    "C accelerator for Router.eager (see _native.c).", -1, methods};

PyMODINIT_FUNC
PyInit__native(void)
{
    PyObject *m = PyModule_Create(&module_def);
    if (m == NULL)
        return NULL;
    s_resume = PyUnicode_InternFromString("_resume");
    s_finish = PyUnicode_InternFromString("_finish");
    s_failure = PyUnicode_InternFromString("_failure");
    status_200 = PyLong_FromLong(200);
    if (!s_resume || !s_finish || !s_failure || !status_200
        || add_method_wrapper(m, "eager") < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
