;;; codestral-eglot.el --- Codestral completion in Emacs through eglot  -*- lexical-binding: t; -*-

;; Emacs 29+ has eglot built in.  Emacs 28: install eglot first (M-x package-install RET eglot,
;; or Debian's elpa-eglot).  Install the server (`pipx install .` in a checkout of
;; codestral-lsp) and export CODESTRAL_API_KEY before starting Emacs, then load this file from
;; your init file:
;;
;;   (load "/path/to/codestral-eglot.el")
;;
;; Suggestions come through completion-at-point: C-M-i (or your completion UI, e.g. corfu or
;; company) offers the suggestion; choosing it inserts the whole suggestion.  eglot has no
;; inline (ghost text) completion; use lsp-mode 9+ (codestral-lsp-mode.el) for that.
;;
;; eglot runs one server per buffer: in the modes below codestral-lsp takes the place of the
;; language's usual server.  Keep your usual server in the modes you want it in by removing them
;; from `codestral-eglot-modes' (before loading this file), or use lsp-mode, which runs
;; codestral-lsp as an add-on next to it.

;;; Code:

(require 'eglot)

(defvar codestral-eglot-modes
  '(python-mode python-ts-mode js-mode js-ts-mode typescript-mode typescript-ts-mode
    tsx-ts-mode go-mode go-ts-mode rust-mode rust-ts-mode c-mode c-ts-mode c++-mode c++-ts-mode
    java-mode java-ts-mode kotlin-mode csharp-mode csharp-ts-mode php-mode swift-mode
    sh-mode bash-ts-mode ruby-mode ruby-ts-mode lua-mode elixir-mode elixir-ts-mode
    haskell-mode scala-mode sql-mode mhtml-mode html-mode web-mode css-mode css-ts-mode
    scss-mode yaml-mode yaml-ts-mode json-ts-mode js-json-mode dockerfile-mode
    dockerfile-ts-mode cmake-mode)
  "Major modes in which eglot starts codestral-lsp (modes that are not installed are
harmless here).")

(add-to-list 'eglot-server-programs (cons codestral-eglot-modes '("codestral-lsp")))

;; Settings use the keys of the server's settings table (see the README); anything left out
;; keeps the server's default.  For example:
;;   (setq-default eglot-workspace-configuration '(:codestral (:multiline "never")))

(dolist (mode codestral-eglot-modes)
  (add-hook (intern (format "%s-hook" mode)) #'eglot-ensure))

(provide 'codestral-eglot)
;;; codestral-eglot.el ends here
