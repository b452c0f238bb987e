;;; codestral-lsp-mode.el --- Codestral completion in Emacs through lsp-mode  -*- lexical-binding: t; -*-

;; Needs lsp-mode 9.0.1+, which shows suggestions as inline (ghost) text; lsp-mode 8 (Debian
;; 12's elpa-lsp-mode) inserts only the first line of a multi-line suggestion: use eglot
;; (codestral-eglot.el) there.  Install the server (`pipx install .` in a checkout of
;; codestral-lsp) and export CODESTRAL_API_KEY before starting Emacs, then load this file from
;; your init file:
;;
;;   (load "/path/to/codestral-lsp-mode.el")
;;
;; codestral-lsp runs as an add-on: next to the language's usual server, not instead of it.
;; Inline suggestions appear when Emacs is idle after a change (`lsp-inline-completion-idle-delay'
;; seconds); M-x lsp-inline-completion-display asks at once.  While one shows:
;;   C-<return>  accept          C-n / C-p  next / previous          C-g  dismiss

;;; Code:

(require 'lsp-mode)

(lsp-register-client
 (make-lsp-client
  :new-connection (lsp-stdio-connection '("codestral-lsp"))
  ;; Code, and the markup and configuration files edited like code (HTML, XML, YAML, TOML).
  :activation-fn (lambda (_file-name major-mode)
                   (provided-mode-derived-p major-mode 'prog-mode 'sgml-mode 'nxml-mode
                                            'yaml-mode 'yaml-ts-mode 'conf-mode))
  :add-on? t
  :priority -2
  :server-id 'codestral
  ;; Settings use the keys of the server's settings table (see the README); anything not set
  ;; keeps the server's default.  For example: (lsp-register-custom-settings
  ;;   '(("codestral.multiline" "never")))
  :initialized-fn (lambda (workspace)
                    (with-lsp-workspace workspace
                      (lsp--set-configuration (lsp-configuration-section "codestral"))))))

;; Inline completion after a short pause (lsp-mode's default waits 2 seconds).
(setq lsp-inline-completion-idle-delay 0.3)

(provide 'codestral-lsp-mode)
;;; codestral-lsp-mode.el ends here
