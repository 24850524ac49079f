package media

// sysSendmmsg is sendmmsg(2) on linux/amd64.
const sysSendmmsg = 307
